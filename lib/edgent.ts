/**
 * The library's entry point: `createEdgent(options, hw)` checks the product's
 * options, names the access point, wires the button and LED to the device
 * (`lib/machine.ts`, which runs its steps and loads the portal, cloud client
 * and config store from their Storage modules as its events need them) on the
 * ports of one board, and gives product code that device: lifecycle, state
 * changes, reconfiguration and virtual pins.
 */

import { Hardware, Undo } from './ports';
import { State } from './types';
import { createMachine, useModule, Machine, MachineOptions, SETUP_MODULE } from './machine';
import { buttonState } from './button';
import { createIndicator } from './led';

export { AP_IP, BUTTON_MODULE, CLOUD_MODULE, CONFIG_MODULE, SETUP_MODULE, STEPS_MODULE, STORE_MODULE } from './machine';

/** Product options of `createEdgent`. */
export interface EdgentOptions {
  /** Template id from the Blynk console, e.g. `TMPL4abcd123`. */
  templateId: string;
  /** Template name; appears in the access point name and `/board_info.json`. */
  templateName: string;
  /** Firmware version, e.g. `1.0.0`. */
  fwVersion: string;
  /** Firmware type. @default templateId */
  fwType?: string;
  /** Build date string for the cloud's info message. @default '' */
  build?: string;
  /** Access point name prefix (≤ 20 letters, digits, spaces). @default 'Blynk' */
  apPrefix?: string;
  /** WPA2 password of the access point (8..63 chars), '' for an open one. @default '' */
  apPassword?: string;
  /** Answer every DNS name and OS connectivity probe with the portal. @default false */
  captivePortal?: boolean;
  /** Reboot into the stored config after this long without portal activity; 0 = never. @default 0 */
  configIdleTimeoutMs?: number;
  /** Connect to the cloud over TLS. @default whether the board has TLS */
  tls?: boolean;
  /**
   * The CA the cloud's TLS certificate must chain to: one PEM certificate (a
   * private server's own CA; the product holds the string), replacing the
   * board's default, the ISRG Root X1 the firmware ships in the Storage file
   * `edgent.ca`. `false` turns verification off (a local test server): the
   * device then logs a warning at every connect. A certificate that does not
   * verify fails the connection with error 711.
   * @default the shipped root (Storage `edgent.ca`)
   */
  tlsCa?: string | false;
  /** Cloud heartbeat in seconds. @default 40 */
  heartbeatS?: number;
  /** Largest message body accepted from the cloud. @default 1024 */
  buffIn?: number;
  /** A button press of 50 ms..10 s (the product's own use). */
  onButtonPress?: (heldMs: number) => void;
}

/** What product code holds. */
export interface Edgent {
  /** The device's access point SSID. */
  apSsid: string;
  /** Starts provisioning (idempotent): loads the stored config and enters the first state. */
  start(): void;
  /** Stops everything: timers, watches, sockets, servers, LED. */
  stop(): void;
  /** Current state. */
  state(): State;
  /** Last provisioning error (0, 700..723). */
  lastError(): number;
  /** Calls `fn(next, prev)` for every state change, in order, once the step that made it is over (an exception is logged). */
  onStateChange(fn: (next: State, prev: State) => void): Undo;
  /** Opens the portal again keeping the stored config (Wi-Fi change). */
  reconfigure(): void;
  /** Erases token and Wi-Fi (as a 10 s button hold does). */
  factoryReset(): void;
  /** Writes a virtual pin; false while offline (nothing is queued). */
  virtualWrite(pin: number, value: string | number | Array<string | number>): boolean;
  /** Calls `fn(pin, values)` for each virtual pin write from the cloud. */
  onVirtualWrite(fn: (pin: number, values: string[]) => void): Undo;
  /** Asks the cloud to resend the stored values of `pins`. */
  syncVirtual(pins: number[]): void;
  /** True while logged in to the cloud. */
  isOnline(): boolean;
}

/**
 * Creates the provisioning stack on a board's ports. Throws TypeError for
 * invalid options (programmer mistakes); operational failures are reported as
 * states and `lastError()` codes. The options are checked, and the access
 * point named, by the setup module (`lib/setup.ts`), loaded for this call
 * only: none of that code stays in RAM after boot.
 */
export function createEdgent(opts: EdgentOptions, hw: Hardware): Edgent {
  const mods = hw.modules;
  let mo: MachineOptions;
  try {
    mo = mods.load((hw.system.slot ? hw.system.slot.p : '') + SETUP_MODULE).setup(opts, hw);
  } finally {
    mods.unload((hw.system.slot ? hw.system.slot.p : '') + SETUP_MODULE);
  }
  const indicator = createIndicator({ led: hw.led, clock: hw.clock });
  mo.indicator = indicator;
  const dev = createMachine(mo) as Machine & Edgent;
  // The machine reads its options when it starts: the button joins them now, wired to the machine
  // directly; its gestures are the button module's, loaded per edge.
  if (hw.button) {
    mo.button = buttonState({
      button: hw.button,
      clock: hw.clock,
      onPress: opts.onButtonPress,
      onReset: dev.holdReset,
      onHold: indicator.setHold
    }, useModule);
  }
  // The machine is the product's object: two more names, no wrappers.
  dev.apSsid = mo.apSsid;
  dev.factoryReset = dev.holdReset;
  return dev;
}
