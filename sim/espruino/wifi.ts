/**
 * Espruino's `Wifi` module on ESP8266 and ESP32, driven by the virtual radio.
 * Shapes follow each chip's firmware (libs/network/esp8266 and esp32):
 *
 * | what | ESP8266 | ESP32 |
 * |---|---|---|
 * | connect failure cb(err) | cb then 'disconnected': 'bad_password' (wrong key, stops), 'no_ap_found' / 'connect_failed' (then keeps retrying every 2 s, a 'disconnected' event each time) | after 3 attempts 'disconnected' then cb: 'NO_AP_FOUND', 'AUTH_FAIL'; stops |
 * | 'associated' | {ssid, mac, channel: number} | {ssid, mac, channel: string} |
 * | 'connected' | {ip, mask, gw} | {ip, netmask, gw} |
 * | 'disconnected' | {ssid, mac, reason: 'no_ap_found' / 'beacon_timeout' / 'assoc_leave' / …} | {ssid, mac, reason: '201' (code as string), msg: 'NO_AP_FOUND'} |
 * | no DHCP on the AP | 'associated', then 'dhcp_timeout' (argument null) every 8 s, never cb | 'associated' only, never cb |
 * | AP lost while joined | 'disconnected' beacon_timeout, then silent retries | retries left from connect() (3 minus failures) then one 'disconnected' |
 * | scan(cb) items | {rssi, channel: number, authMode: 0..4 (number!), isHidden, ssid, mac}, radio order | {rssi, authMode: 'open'/'wep'/'wpa'/'wpa2'/'wpa_wpa2'/'unknown', ssid, mac, channel: string}, strongest first |
 * | hidden AP in scan | ssid '', isHidden true | ssid '' |
 * | getIP(cb) / getAPIP(cb) | cb(info) | cb(null, info) |
 * | getIP() when not connected | {mac} | {ip:'0.0.0.0', netmask:'0.0.0.0', gw:'0.0.0.0', mac} |
 * | getAPDetails() | {status, authMode, hidden, maxConn, ssid, password, savedSsid, stations:[{ip, mac}]} | {authMode, hidden, maxConn, ssid, password} (no stations) |
 * | startAP cb | queued at once | when the AP has started (50 ms) |
 * | save() | raw config sector (outside Storage) | Storage file '.wificfg' |
 * | boot without saved config | soft AP 'ESP_XXXXXX' (AP MAC tail), open, is UP | Wi-Fi off |
 *
 * Both chips: `startAP` THROWS (not cb) for a password shorter than 8 chars,
 * an unknown authMode, or authMode/password mismatch; a second `scan` while
 * one runs throws "A scan is already in progress"; at most 4 stations.
 * Addresses: station lease 192.168.(n+1).50/24, gw .1 (n = AP index in the
 * radio); soft AP 192.168.4.1/24, phones get 192.168.4.2….
 */
import { formatMac, parseMac } from './host';
import { jsonParse, jsonStringify } from './bytes-api';
import type { Boot } from './boot';
import type { Radio, RadioAp } from './radio';
import type { FlashImage } from './storage';
import type { Chip } from './types';

/** Emulated Wi-Fi delays (ms). */
export const WIFI_TIMING = {
  /** One association attempt. */
  connectMs: 200,
  /** DHCP lease after association. */
  dhcpMs: 100,
  /** A scan. */
  scanMs: 1500,
  /** ESP32 soft AP start. */
  apStartMs: 50,
  /** ESP8266 reconnect interval after a failure / link loss. */
  esp8266RetryMs: 2000,
  /** ESP8266 DHCP timeout ('dhcp_timeout' period). */
  esp8266DhcpTimeoutMs: 8000,
};

/** Attempts ESP32 makes before reporting a connect failure. */
export const ESP32_CONNECT_ATTEMPTS = 3;
/** Most stations on the device's soft AP. */
export const MAX_AP_STATIONS = 4;

const ESP32_REASONS: Record<number, string> = {
  1: 'UNSPECIFIED',
  8: 'ASSOC_LEAVE',
  15: '4WAY_HANDSHAKE_TIMEOUT',
  200: 'BEACON_TIMEOUT',
  201: 'NO_AP_FOUND',
  202: 'AUTH_FAIL',
};
const AUTH_NAMES = ['open', 'wep', 'wpa', 'wpa2', 'wpa_wpa2'];
const SEC_TO_AUTH: Record<string, number> = { OPEN: 0, WEP: 1, WPA: 2, WPA2: 3, 'WPA+WPA2': 4, 'WPA2-EAP': 5, WPA3: 3, 'WPA2+WPA3': 3 };
const AP_IP = { ip: '192.168.4.1', netmask: '255.255.255.0', gw: '192.168.4.1' };
const ESP8266_SECTOR = 'esp8266-wifi';

type Outcome = 'ok' | 'noap' | 'auth' | 'unsupported';

interface IpInfo {
  ip: string;
  netmask: string;
  gw: string;
}

interface Station {
  mac: string;
  ip: string;
}

interface SavedConfig {
  mode: number;
  ssid?: string;
  password?: string;
  ssidAP?: string;
  passwordAP?: string;
  authmodeAP?: number;
  hiddenAP?: number;
  channelAP?: number;
  hostname?: string;
}

/** The Wi-Fi chip of one board: station, soft AP and the device `Wifi` module. */
export class WifiChip {
  private _boot: Boot | null = null;
  private _module: Record<string, any> | null = null;
  // station
  private _staOn = false;
  private _ssid = '';
  private _password = '';
  private _phase: 'idle' | 'connecting' | 'associated' | 'connected' = 'idle';
  private _status8266 = 'off';
  private _joined: RadioAp | undefined;
  private _ip: IpInfo | undefined;
  private _staticIp: IpInfo | undefined;
  private _lastReason32 = 0;
  private _pendingCb: unknown;
  private _retries = 0;
  private _timer: object | undefined;
  private _scanning = false;
  private _hostname = '';
  // soft AP
  private _apUp = false;
  private _apSsid = '';
  private _apPassword = '';
  private _apAuth = 0;
  private _apChannel = 1;
  private _stations: Station[] = [];
  private _nextPhone = 1;

  /**
   * @param _chip ESP8266 or ESP32 behaviour
   * @param _radio the networks in range
   * @param _flash where `save()` writes
   * @param _mac station MAC bytes
   * @param _linkDown called when the station loses its network (sockets close)
   */
  constructor(
    private readonly _chip: Chip,
    private readonly _radio: Radio,
    private readonly _flash: FlashImage,
    private readonly _mac: number[],
    private readonly _linkDown: () => void,
  ) {
    _radio.on('change', (ap: RadioAp) => {
      if (this._boot && this._joined === ap && !_radio.isUp(ap)) this._lostLink();
    });
  }

  /** Station MAC as Espruino prints it. */
  get staMac(): string {
    return formatMac(this._mac);
  }

  /** Soft AP MAC: station MAC with the first byte + 2. */
  get apMac(): string {
    return formatMac([(this._mac[0] + 2) & 0xff, ...this._mac.slice(1)]);
  }

  /** True if something can reach the device: soft AP up or station has an IP. */
  reachable(): boolean {
    return this._apUp || this._phase === 'connected';
  }

  /** True while the station has an IP on an AP that is up. */
  online(): boolean {
    return this._phase === 'connected' && !!this._joined && this._radio.isUp(this._joined);
  }

  /** Starts a boot: radio state as after a reset, then the saved config is restored. */
  attach(boot: Boot): void {
    this._boot = boot;
    this._resetState();
    this._module = this._createModule(boot);
    this._restore();
  }

  /** Ends a boot: the radio goes quiet (AP down, station off). */
  detach(): void {
    this._boot = null;
    this._module = null;
    this._resetState();
  }

  /** The device `require('Wifi')` object of the current boot. */
  get module(): Record<string, any> | null {
    return this._module;
  }

  /** A phone associates to the soft AP; false if the AP is down or full. */
  phoneJoin(mac?: string): string | false {
    if (!this._boot || !this._apUp || this._stations.length >= MAX_AP_STATIONS) return false;
    const m = (mac ?? formatMac([0x02, 0x00, 0x00, 0x00, 0x00, this._nextPhone])).toLowerCase();
    parseMac(m);
    if (this._stations.some((s) => s.mac === m)) return false;
    this._stations.push({ mac: m, ip: `192.168.4.${1 + this._nextPhone++}` });
    this._event('sta_joined', { mac: m });
    return m;
  }

  /** A phone leaves the soft AP (default: the last one that joined); false if unknown. */
  phoneLeave(mac?: string): boolean {
    const s = mac ? this._stations.find((x) => x.mac === mac.toLowerCase()) : this._stations[this._stations.length - 1];
    if (!s) return false;
    this._stations.splice(this._stations.indexOf(s), 1);
    this._event('sta_left', { mac: s.mac });
    return true;
  }

  private _resetState(): void {
    if (this._boot) this._boot.timers.cancel(this._timer);
    this._timer = undefined;
    this._staOn = false;
    this._ssid = '';
    this._password = '';
    this._phase = 'idle';
    this._status8266 = 'off';
    this._joined = undefined;
    this._ip = undefined;
    this._staticIp = undefined;
    this._lastReason32 = 0;
    this._pendingCb = undefined;
    this._retries = 0;
    this._scanning = false;
    this._hostname = this._chip === 'ESP8266' ? 'espruino' : 'espressif';
    this._apUp = false;
    this._apSsid = '';
    this._apPassword = '';
    this._apAuth = 0;
    this._apChannel = 1;
    this._stations = [];
    this._nextPhone = 1;
  }

  // ---- events and callbacks ------------------------------------------------

  private _event(name: string, details: unknown): void {
    const boot = this._boot;
    const mod = this._module;
    if (!boot || !mod) return;
    boot.defer(() => boot.realm.emit(mod, name, [boot.realm.toDevice(details)]));
  }

  private _callback(cb: unknown, args: unknown[]): void {
    const boot = this._boot;
    if (!boot || !boot.realm.isFunction(cb)) return;
    boot.defer(() => boot.realm.invoke(cb, undefined, args.map((a) => boot.realm.toDevice(a))));
  }

  private _schedule(ms: number, fn: () => void): void {
    const boot = this._boot as Boot;
    boot.timers.cancel(this._timer);
    this._timer = boot.timers.after(ms, () => {
      this._timer = undefined;
      fn();
    });
  }

  // ---- station -------------------------------------------------------------

  private _connect(ssid: unknown, options: unknown, cb: unknown): void {
    const boot = this._boot as Boot;
    if (typeof ssid !== 'string') throw new Error('No SSID provided');
    if (options !== undefined && options !== null && typeof options !== 'object') {
      throw new Error(`Expecting options object but got ${typeof options}`);
    }
    if (cb !== undefined && !boot.realm.isFunction(cb)) throw new Error(`Expecting callback function but got ${String(cb)}`);
    const pw = options ? (options as { password?: unknown }).password : undefined;
    if (pw !== undefined && typeof pw !== 'string') throw new Error(`Expecting options.password to be a string but got ${typeof pw}`);
    const password = pw ?? '';
    const name = ssid.substr(0, 32);
    if (this._chip === 'ESP8266') {
      if (this._phase === 'connected' && this._ssid === name && this._password === password) {
        this._callback(cb, [null]);
        return;
      }
      if (this._phase === 'connected' || this._phase === 'associated') {
        this._dropLink();
        this._event('disconnected', { ssid: this._ssid, mac: this._bssid(), reason: 'assoc_leave' });
      }
      this._status8266 = 'connecting';
    } else {
      if (this._phase === 'connected' || this._phase === 'associated') this._dropLink();
      this._retries = ESP32_CONNECT_ATTEMPTS;
    }
    this._staOn = true;
    this._ssid = name;
    this._password = password;
    this._phase = 'connecting';
    this._pendingCb = cb;
    this._schedule(WIFI_TIMING.connectMs, () => this._attempt());
  }

  private _outcome(): { outcome: Outcome; ap?: RadioAp } {
    const ap = this._radio.find(this._ssid);
    if (!ap || !this._radio.isUp(ap)) return { outcome: 'noap' };
    const unsupported = this._chip === 'ESP8266' ? ['WPA2-EAP', 'WPA3'] : ['WPA2-EAP'];
    if (unsupported.includes(ap.sec)) return { outcome: 'unsupported', ap };
    if (ap.sec !== 'OPEN' && ap.password !== this._password) return { outcome: 'auth', ap };
    return { outcome: 'ok', ap };
  }

  private _attempt(): void {
    const { outcome, ap } = this._outcome();
    if (outcome === 'ok') {
      this._associate(ap as RadioAp);
      return;
    }
    const mac = ap ? ap.bssid : '00:00:00:00:00:00';
    if (this._chip === 'ESP32') {
      this._failEsp32(outcome === 'noap' ? 201 : 202, mac);
      return;
    }
    const map = {
      noap: ['no_ap_found', 'no_ap_found'],
      auth: ['bad_password', '4way_handshake_timeout'],
      unsupported: ['connect_failed', 'auth_expire'],
    } as const;
    const [status, reason] = map[outcome];
    const pending = this._pendingCb;
    this._pendingCb = undefined;
    this._status8266 = status;
    this._phase = outcome === 'auth' ? 'idle' : 'connecting';
    if (outcome !== 'auth') this._schedule(WIFI_TIMING.esp8266RetryMs, () => this._attempt());
    this._callback(pending, [status]);
    this._event('disconnected', { ssid: this._ssid, mac, reason });
  }

  private _failEsp32(code: number, mac: string): void {
    if (--this._retries > 0) {
      this._phase = 'connecting';
      this._schedule(WIFI_TIMING.connectMs, () => this._attempt());
      return;
    }
    const pending = this._pendingCb;
    this._pendingCb = undefined;
    this._phase = 'idle';
    this._lastReason32 = code;
    this._event('disconnected', { ssid: this._ssid, mac, reason: String(code), msg: ESP32_REASONS[code] });
    this._callback(pending, [ESP32_REASONS[code]]);
  }

  private _associate(ap: RadioAp): void {
    this._joined = ap;
    this._phase = 'associated';
    if (this._staticIp || ap.dhcp) {
      this._schedule(WIFI_TIMING.dhcpMs, () => this._gotIp(ap));
    } else if (this._chip === 'ESP8266') {
      const timeout = (): void => {
        this._schedule(WIFI_TIMING.esp8266DhcpTimeoutMs, timeout);
        this._event('dhcp_timeout', null);
      };
      this._schedule(WIFI_TIMING.esp8266DhcpTimeoutMs, timeout);
    }
    this._event('associated', {
      ssid: ap.ssid,
      mac: ap.bssid,
      channel: this._chip === 'ESP8266' ? ap.channel : String(ap.channel),
    });
  }

  private _gotIp(ap: RadioAp): void {
    const net = ap.index + 1;
    this._ip = this._staticIp ?? { ip: `192.168.${net}.50`, netmask: '255.255.255.0', gw: `192.168.${net}.1` };
    this._phase = 'connected';
    this._status8266 = 'connected';
    const pending = this._pendingCb;
    this._pendingCb = undefined;
    const { ip, netmask, gw } = this._ip;
    this._callback(pending, [null]);
    this._event('connected', this._chip === 'ESP8266' ? { ip, mask: netmask, gw } : { ip, netmask, gw });
  }

  private _bssid(): string {
    return this._joined ? this._joined.bssid : '00:00:00:00:00:00';
  }

  private _dropLink(): void {
    this._joined = undefined;
    this._ip = undefined;
    this._linkDown();
  }

  private _lostLink(): void {
    const mac = this._bssid();
    this._dropLink();
    if (this._chip === 'ESP8266') {
      this._phase = 'connecting';
      this._status8266 = 'connecting';
      this._schedule(WIFI_TIMING.esp8266RetryMs, () => this._attempt());
      this._event('disconnected', { ssid: this._ssid, mac, reason: 'beacon_timeout' });
      return;
    }
    this._failEsp32(200, mac);
  }

  private _disconnect(cb: unknown): void {
    const boot = this._boot as Boot;
    if (cb !== undefined && !boot.realm.isFunction(cb)) throw new Error(`Expecting callback function but got ${String(cb)}`);
    boot.timers.cancel(this._timer);
    const linked = this._phase === 'connected' || this._phase === 'associated';
    const pending = this._pendingCb;
    this._pendingCb = undefined;
    const mac = this._bssid();
    if (linked) this._dropLink();
    this._staOn = false;
    this._phase = 'idle';
    this._status8266 = 'off';
    if (this._chip === 'ESP8266') {
      if (linked) this._event('disconnected', { ssid: this._ssid, mac, reason: 'assoc_leave' });
      this._callback(cb, []);
      return;
    }
    this._retries = 0;
    this._callback(cb, []);
    if (linked || pending) {
      this._lastReason32 = 8;
      this._event('disconnected', { ssid: this._ssid, mac, reason: '8', msg: 'ASSOC_LEAVE' });
      this._callback(pending, ['ASSOC_LEAVE']);
    }
  }

  private _scan(cb: unknown): void {
    const boot = this._boot as Boot;
    if (this._scanning) throw new Error(this._chip === 'ESP8266' ? 'A scan is already in progress.' : 'A scan is already in progress');
    if (!boot.realm.isFunction(cb)) throw new Error(`Expecting callback function but got ${String(cb)}`);
    this._scanning = true;
    if (this._chip === 'ESP8266') this._staOn = true;
    boot.timers.after(WIFI_TIMING.scanMs, () => {
      this._scanning = false;
      const aps = this._radio.visible();
      const list =
        this._chip === 'ESP8266'
          ? aps.map((a) => ({
              rssi: Math.min(0, a.rssi),
              channel: a.channel,
              authMode: SEC_TO_AUTH[a.sec],
              isHidden: a.hidden,
              ssid: a.hidden ? '' : a.ssid,
              mac: a.bssid,
            }))
          : aps
              .slice()
              .sort((x, y) => y.rssi - x.rssi)
              .map((a) => ({
                rssi: a.rssi,
                authMode: AUTH_NAMES[SEC_TO_AUTH[a.sec]] ?? 'unknown',
                ssid: a.hidden ? '' : a.ssid,
                mac: a.bssid,
                channel: String(a.channel),
              }));
      boot.realm.invoke(cb, undefined, [boot.realm.toDevice(list)]);
    });
  }

  // ---- soft AP -------------------------------------------------------------

  private _startAP(ssid: unknown, options: unknown, cb: unknown): void {
    const boot = this._boot as Boot;
    const dot = this._chip === 'ESP8266' ? '.' : '';
    if (cb !== undefined && !boot.realm.isFunction(cb)) throw new Error(`Expecting callback function but got ${String(cb)}`);
    if (typeof ssid !== 'string') throw new Error(`No SSID${dot}`);
    if (options !== undefined && options !== null && typeof options !== 'object') {
      throw new Error(`Expecting options object but got ${typeof options}`);
    }
    let auth = 0;
    let password = '';
    let channel = 1;
    if (options && typeof options === 'object') {
      const o = options as Record<string, unknown>;
      if (Number.isInteger(o.channel) && (o.channel as number) >= 1 && (o.channel as number) <= 13) channel = o.channel as number;
      if (o.password !== undefined) {
        if (typeof o.password !== 'string' || o.password.length < 8) {
          throw new Error('Password must be string of at least 8 characters');
        }
        password = o.password.substr(0, 63);
      }
      if (typeof o.authMode === 'string') {
        const idx = ['open', 'wpa', 'wpa2', 'wpa_wpa2'].indexOf(o.authMode);
        if (idx < 0) throw new Error(`Unknown authMode value${dot}`);
        auth = AUTH_NAMES.indexOf(o.authMode);
      } else {
        auth = password ? 3 : 0;
      }
      if (auth !== 0 && !password) throw new Error(`Password not set but authMode not open${dot}`);
      if (auth === 0 && password) throw new Error(`Auth mode set to open but password supplied${dot}`);
    }
    const apply = (): void => {
      this._apUp = true;
      this._apSsid = ssid.substr(0, 32);
      this._apPassword = password;
      this._apAuth = auth;
      this._apChannel = channel;
      this._stations = [];
      this._callback(cb, [null]);
    };
    if (this._chip === 'ESP8266') apply();
    else boot.timers.after(WIFI_TIMING.apStartMs, apply);
  }

  private _stopAP(cb: unknown): void {
    const boot = this._boot as Boot;
    if (cb !== undefined && !boot.realm.isFunction(cb)) throw new Error(`Expecting callback function but got ${String(cb)}`);
    this._apUp = false;
    this._stations = [];
    this._callback(cb, []);
  }

  // ---- information ---------------------------------------------------------

  private _ipInfo(): Record<string, string> {
    if (this._ip) return { ...this._ip, mac: this.staMac };
    if (this._chip === 'ESP8266') return { mac: this.staMac };
    return { ip: '0.0.0.0', netmask: '0.0.0.0', gw: '0.0.0.0', mac: this.staMac };
  }

  private _report(cb: unknown, info: unknown): unknown {
    this._callback(cb, this._chip === 'ESP8266' ? [info] : [null, info]);
    return info;
  }

  private _details(cb: unknown): unknown {
    let d: Record<string, unknown>;
    if (this._chip === 'ESP8266') {
      d = { status: this._staOn ? this._status8266 : 'off', ssid: this._ssid, password: this._password };
      if (this._staOn) d.rssi = this._joined ? Math.min(0, this._joined.rssi) : 0;
      d.savedSsid = null;
    } else if (this._phase === 'connected' || this._phase === 'associated') {
      const ap = this._joined as RadioAp;
      d = { ssid: this._ssid, password: this._password, status: 'connected', authMode: AUTH_NAMES[SEC_TO_AUTH[ap.sec]] ?? 'unknown' };
    } else {
      d = { status: ESP32_REASONS[this._lastReason32] ?? 'Unknown reason' };
    }
    this._callback(cb, [d]);
    return d;
  }

  private _apDetails(cb: unknown): unknown {
    const common = {
      authMode: AUTH_NAMES[this._apAuth],
      hidden: false,
      maxConn: MAX_AP_STATIONS,
      ssid: this._apSsid,
      password: this._apPassword,
    };
    const d: Record<string, unknown> =
      this._chip === 'ESP8266'
        ? {
            status: this._apUp ? 'enabled' : 'disabled',
            ...common,
            savedSsid: null,
            ...(this._apUp ? { stations: this._stations.map((s) => ({ ip: s.ip, mac: s.mac })) } : {}),
          }
        : common;
    this._callback(cb, [d]);
    return d;
  }

  private _status(cb: unknown): unknown {
    const mode = (this._staOn ? 1 : 0) | (this._apUp ? 2 : 0);
    let s: Record<string, unknown>;
    if (this._chip === 'ESP8266') {
      s = {
        mode: ['off', 'sta', 'ap', 'sta+ap'][mode],
        station: this._staOn ? this._status8266 : 'off',
        ap: this._apUp ? 'enabled' : 'disabled',
        phy: '11n',
        powersave: 'ps-poll',
        savedMode: 'off',
      };
    } else {
      const connected = this._phase === 'connected' || this._phase === 'associated';
      s = { station: connected ? 'connected' : (ESP32_REASONS[this._lastReason32] ?? 'Unknown reason') };
      if (connected && this._joined) {
        Object.assign(s, { ssid: this._joined.ssid, bssid: this._joined.bssid, channel: this._joined.channel, rssi: this._joined.rssi });
      }
      Object.assign(s, { mode: ['NULL', 'STA', 'AP', 'APSTA'][mode], powersave: 'none' });
    }
    this._callback(cb, [s]);
    return s;
  }

  private _setIP(settings: unknown, cb: unknown): void {
    const boot = this._boot as Boot;
    if (!settings || typeof settings !== 'object') throw new Error(`Expecting options object but got ${typeof settings}`);
    const o = settings as Record<string, unknown>;
    const dotted = (v: unknown, what: string): string => {
      if (typeof v !== 'string' || !/^\d+\.\d+\.\d+\.\d+$/.test(v) || v === '0.0.0.0') throw new Error(`Not a valid ${what}.`);
      return v;
    };
    this._staticIp = { ip: dotted(o.ip, 'IP address'), gw: dotted(o.gw, 'Gateway address'), netmask: dotted(o.netmask, 'Netmask') };
    if (this._phase === 'connected') this._ip = this._staticIp;
    if (this._chip === 'ESP8266') {
      if (!boot.realm.isFunction(cb)) throw new Error('Callback is not a function.');
      this._callback(cb, [{ success: true }]);
    } else {
      this._callback(cb, [null]);
    }
  }

  // ---- saved configuration -------------------------------------------------

  private _save(what: unknown): void {
    const clear = what === 'clear';
    const cfg: SavedConfig = clear
      ? { mode: 0 }
      : {
          mode: (this._staOn ? 1 : 0) | (this._apUp ? 2 : 0),
          ssid: this._ssid,
          password: this._password,
          ssidAP: this._apSsid,
          passwordAP: this._apPassword,
          authmodeAP: this._apAuth,
          hiddenAP: 0,
          channelAP: this._apChannel,
          hostname: this._hostname,
        };
    if (this._chip === 'ESP8266') {
      this._flash.writeSector(ESP8266_SECTOR, JSON.stringify(cfg), 1024);
      return;
    }
    this._flash.erase('.wificfg');
    if (!clear) this._flash.write('.wificfg', Buffer.from(jsonStringify(cfg) ?? '', 'latin1'));
  }

  private _restore(): void {
    const boot = this._boot as Boot;
    let cfg: SavedConfig | undefined;
    if (this._chip === 'ESP8266') {
      const raw = this._flash.readSector(ESP8266_SECTOR);
      if (raw === undefined) {
        this._apUp = true;
        this._apSsid = `ESP_${this.apMac.split(':').slice(3).join('').toUpperCase()}`;
        return;
      }
      cfg = JSON.parse(raw) as SavedConfig;
    } else {
      const raw = this._flash.read('.wificfg');
      if (raw === undefined) return;
      try {
        cfg = jsonParse(boot.realm, raw) as SavedConfig;
      } catch {
        return;
      }
    }
    if (cfg.hostname) this._hostname = cfg.hostname;
    if (cfg.mode & 2) {
      this._apUp = true;
      this._apSsid = cfg.ssidAP ?? '';
      this._apPassword = cfg.passwordAP ?? '';
      this._apAuth = cfg.authmodeAP ?? 0;
      this._apChannel = cfg.channelAP ?? 1;
    }
    if (cfg.mode & 1 && cfg.ssid) {
      this._staOn = true;
      this._ssid = cfg.ssid;
      this._password = cfg.password ?? '';
      this._phase = 'connecting';
      this._status8266 = 'connecting';
      this._retries = ESP32_CONNECT_ATTEMPTS;
      this._schedule(WIFI_TIMING.connectMs, () => this._attempt());
    }
  }

  // ---- device module -------------------------------------------------------

  private _createModule(boot: Boot): Record<string, any> {
    const cbArg = (cb: unknown): unknown => {
      if (cb !== undefined && cb !== null && !boot.realm.isFunction(cb)) {
        throw new Error(`Expecting callback function but got ${String(cb)}`);
      }
      return cb;
    };
    return boot.realm.obj({
      connect: (ssid: unknown, options: unknown, cb: unknown) => this._connect(ssid, options, cb),
      disconnect: (cb: unknown) => this._disconnect(cb),
      scan: (cb: unknown) => this._scan(cb),
      startAP: (ssid: unknown, options: unknown, cb: unknown) => this._startAP(ssid, options, cb),
      stopAP: (cb: unknown) => this._stopAP(cb),
      getIP: (cb: unknown) => this._report(cbArg(cb), this._ipInfo()),
      getAPIP: (cb: unknown) => this._report(cbArg(cb), { ...AP_IP, mac: this.apMac }),
      getDetails: (cb: unknown) => this._details(cbArg(cb)),
      getAPDetails: (cb: unknown) => this._apDetails(cbArg(cb)),
      getStatus: (cb: unknown) => this._status(cbArg(cb)),
      getHostname: (cb: unknown) => {
        this._callback(cbArg(cb), [this._hostname]);
        return this._hostname;
      },
      setHostname: (name: unknown, cb: unknown) => {
        this._hostname = String(name);
        this._callback(cbArg(cb), []);
      },
      setIP: (settings: unknown, cb: unknown) => this._setIP(settings, cb),
      save: (what: unknown) => this._save(what),
    });
  }
}
