/**
 * The config-mode module (Storage file `edgent-portal`): the HTTP portal, the
 * DNS responder and the scan list they use. The core loads it when the access
 * point is up, for each request and datagram, and to stop it, so none of this
 * code holds RAM while the device is running.
 *
 * Its state is one plain object (`ConfigMode`) that the core keeps while the
 * mode runs. The server's handler and the DNS socket's listener are the
 * device's resident relay (`ConfigModeOptions.relay`), which loads this module
 * for each request or datagram: between them none of this code is in RAM. A
 * request still in progress (a body, a streamed reply, a scan) keeps its copy
 * of the module until it is done.
 */

import { Hardware } from './ports';
import { BoardInfo, PortalRequest } from './types';
import { startPortal, stopPortal, PortalState } from './portal';
import { startDns, stopDns, DnsState } from './dns';
import { CONFIG_MODULE } from './modules';

/** What config mode needs from the core. */
export interface ConfigModeOptions {
  /** The board's ports (http, udp, clock, flash, wifi, system are used). */
  hw: Hardware;
  /** Current values of `/board_info.json`. */
  info: () => BoardInfo;
  /** Receives every request the portal hands to the state machine. */
  send: (req: PortalRequest) => void;
  /** Answer every DNS name and OS connectivity probe with the portal. */
  captive: boolean;
  /** The access point's own address, which DNS answers with. */
  apIp: string;
  /**
   * The device's relay: loads Storage module `mod` (this one, `CONFIG_MODULE`)
   * and calls its export `fn` with the mode's state and the server's or the
   * socket's arguments. Absent: the portal and the responder call their
   * handlers directly (a host, a test).
   */
  relay?: (mod: string, fn: 'portalRequest' | 'dnsMessage', st: ConfigMode, a: any, b: any) => void;
}

/** A running config mode: the portal's and the responder's state, kept by the core until `stopConfigMode`. */
export type ConfigMode = PortalState & DnsState;

/**
 * Starts the DNS responder and the portal on a new state, which keeps `o`
 * (read at each request) until `stopConfigMode`. With `o.relay`, the server
 * and the socket call the relay bound to the handler's name and the state.
 *
 * @param o the ports, the board info source, the machine's sink and the mode
 * @throws TypeError if `o.apIp` is not a dotted-quad IPv4 address (nothing is started then)
 */
export function startConfigMode(o: ConfigModeOptions): ConfigMode {
  const m: ConfigMode = { t: [], serve: '' };
  const r = o.relay;
  startDns(o, m, r ? r.bind(null, CONFIG_MODULE, 'dnsMessage', m) : undefined);
  startPortal(o, m, r ? r.bind(null, CONFIG_MODULE, 'portalRequest', m) : undefined);
  return m;
}

/** Stops the portal and DNS of `m` and releases their sockets (idempotent). */
export function stopConfigMode(m: ConfigMode): void {
  stopPortal(m);
  stopDns(m);
}

export { portalRequest } from './portal';
export { dnsMessage } from './dns';
