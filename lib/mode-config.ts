/**
 * The config-mode module (Storage file `edgent-portal`): the HTTP portal, the
 * DNS responder and the scanner they use. The core loads it when the access
 * point is up and drops it when config mode ends, so none of this code holds
 * RAM while the device is running.
 */

import { Hardware } from './ports';
import { BoardInfo, PortalRequest } from './types';
import { createPortal, Portal } from './portal';
import { createDns, Dns } from './dns';

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
 * Starts the portal and DNS responder. The minifier inlines the factories
 * here, so this call's scope stays with the running mode: it ends up holding
 * only the two stop functions (and `o`).
 */
export function startConfigMode(o: ConfigModeOptions): ConfigMode {
  let portal: Portal | null = createPortal({
    http: o.hw.http,
    clock: o.hw.clock,
    flash: o.hw.flash,
    wifi: o.hw.wifi,
    info: o.info,
    send: o.send,
    captive: o.captive,
    log: o.hw.system.log
  });
  let dns: Dns | null = createDns({ udp: o.hw.udp, apIp: o.apIp, captive: o.captive });
  portal.start();
  dns.start();
  const stopPortal = portal.stop;
  const stopDns = dns.stop;
  // Drops the objects and their `start` functions.
  portal = null;
  dns = null;
  return {
    stop: function () {
      stopPortal();
      stopDns();
    }
  };
}
