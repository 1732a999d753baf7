/**
 * The radio environment: the access points virtual boards can scan and join.
 * Changing an AP (down, removed) notifies joined boards, which then lose their
 * association exactly as a real station would (Wifi 'disconnected').
 */
import { EventEmitter } from 'events';
import { crc32, formatMac } from './host';
import type { ApSecurity, VirtualAp } from './types';

/** An access point as the radio keeps it (defaults filled in). */
export interface RadioAp {
  ssid: string;
  password: string;
  rssi: number;
  channel: number;
  hidden: boolean;
  bssid: string;
  sec: ApSecurity;
  up: boolean;
  dhcp: boolean;
  /** Position in the radio; gives each AP its own /24 (192.168.(index+1).0). */
  index: number;
}

/** The shared radio environment. */
export interface VirtualRadio {
  /** Powers an AP up or down; down disconnects every station joined to it. */
  setUp(ssid: string, up: boolean): void;
  /** A copy of every AP (including those that are down). */
  list(): VirtualAp[];
  /** Adds an AP (replacing one with the same SSID). */
  add(ap: VirtualAp): void;
  /** Removes an AP; joined stations are disconnected. */
  remove(ssid: string): void;
}

/** Radio internals used by the boards (not part of the public surface). */
export class Radio extends EventEmitter implements VirtualRadio {
  private readonly _aps: RadioAp[] = [];
  private _nextIndex = 0;

  /** Builds the radio from a list of APs. */
  constructor(aps: VirtualAp[]) {
    super();
    this.setMaxListeners(0);
    for (const ap of aps) this.add(ap);
  }

  setUp(ssid: string, up: boolean): void {
    const ap = this.find(ssid);
    if (!ap) throw new Error(`no AP '${ssid}'`);
    ap.up = up;
    this.emit('change', ap);
  }

  list(): VirtualAp[] {
    return this._aps.map(({ index: _index, ...ap }) => ({ ...ap }));
  }

  add(ap: VirtualAp): void {
    const old = this.find(ap.ssid);
    const full: RadioAp = {
      ssid: ap.ssid,
      password: ap.password,
      rssi: ap.rssi,
      channel: ap.channel,
      hidden: ap.hidden ?? false,
      bssid: (ap.bssid ?? derivedBssid(ap.ssid)).toLowerCase(),
      sec: ap.sec ?? (ap.password ? 'WPA2' : 'OPEN'),
      up: ap.up ?? true,
      dhcp: ap.dhcp ?? true,
      index: old ? old.index : this._nextIndex++,
    };
    if (old) this._aps[this._aps.indexOf(old)] = full;
    else this._aps.push(full);
    if (old) this.emit('change', old);
  }

  remove(ssid: string): void {
    const ap = this.find(ssid);
    if (!ap) return;
    this._aps.splice(this._aps.indexOf(ap), 1);
    ap.up = false;
    this.emit('change', ap);
  }

  /** The AP with this SSID (up or not). */
  find(ssid: string): RadioAp | undefined {
    return this._aps.find((a) => a.ssid === ssid);
  }

  /** True if `ap` is still the live, powered entry of the radio. */
  isUp(ap: RadioAp): boolean {
    return this._aps.includes(ap) && ap.up;
  }

  /** APs currently beaconing. */
  visible(): RadioAp[] {
    return this._aps.filter((a) => a.up);
  }
}

function derivedBssid(ssid: string): string {
  const h = crc32(ssid);
  return formatMac([0x02, 0x1a, (h >>> 24) & 0xff, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff]);
}

/**
 * Creates the radio environment shared by virtual boards.
 * @param aps the access points in range
 */
export function createRadio(aps: VirtualAp[]): VirtualRadio {
  return new Radio(aps);
}
