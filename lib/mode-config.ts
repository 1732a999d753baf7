/**
 * The config-mode module (Storage file `edgent-portal`): the HTTP portal, the
 * DNS responder and the scan list they use. The core loads it when the access
 * point is up and drops it when config mode ends, so none of this code holds
 * RAM while the device is running.
 *
 * There is one config mode at a time, so the portal and the responder keep
 * their state at module level: a running mode holds the core's options
 * object, the server, the socket and a few fields, and no closure. After
 * `stop()` nothing outside refers to the module (no listener, timer or
 * server of it is left), so it is freed once the core forgets it; the one
 * exception is a radio scan still in progress, whose callback the radio
 * holds until the scan ends.
 */

import { Hardware } from './ports';
import { BoardInfo, PortalRequest } from './types';
import { startPortal, stopPortal } from './portal';
import { startDns, stopDns } from './dns';

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
}

/** A running config mode. */
export interface ConfigMode {
  /** Stops the portal and DNS and releases their sockets. */
  stop(): void;
}

/**
 * Starts the DNS responder and the portal, which keep `o` (read at each
 * request) until `stop()`. The returned `stop` is this same function, which
 * stops the running mode when called without options: one function object
 * less in RAM for as long as the mode runs.
 *
 * @param o the ports, the board info source, the machine's sink and the mode
 * @throws TypeError if `o.apIp` is not a dotted-quad IPv4 address (nothing is started then)
 */
export function startConfigMode(o?: ConfigModeOptions): ConfigMode {
  if (o === undefined) {
    stopPortal();
    stopDns();
  } else {
    startDns(o);
    startPortal(o);
  }
  return MODE;
}

/** The running config mode (there is only one). */
const MODE: ConfigMode = { stop: startConfigMode };
