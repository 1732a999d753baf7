/**
 * The per-boot handle every device module receives: the realm, the host
 * timers of this boot, and reporting. A boot ends at reboot or power cut;
 * after that `alive()` is false, its timers are cancelled and nothing it
 * scheduled reaches device code.
 */
import { TimerGroup } from './host';
import type { Realm } from './realm';
import type { Chip } from './types';

/** Shared state of one boot. */
export interface Boot {
  /** The emulated chip. */
  readonly chip: Chip;
  /** The device context of this boot. */
  readonly realm: Realm;
  /** Host timers of this boot (cancelled at teardown). */
  readonly timers: TimerGroup;
  /** True until reboot / power cut. */
  alive(): boolean;
  /**
   * Queues `fn` like Espruino's event queue: with `ms` > 0, or while device
   * code is running, it runs in a later host task; otherwise (the host is the
   * idle loop: a timer, a packet, a test's call) it runs right away. Nothing
   * runs once the boot has ended.
   */
  defer(fn: () => void, ms?: number): void;
  /** Prints a device console line. */
  log(line: string): void;
  /** Reports an uncaught device exception (printed like Espruino, recorded, 'error' event). */
  report(err: unknown, prefix?: string): void;
  /** Registers a teardown step (sockets, servers) run when the boot ends. */
  onEnd(fn: () => void): void;
}

/** Formats an uncaught exception the way Espruino prints it. */
export function describeUncaught(err: unknown, prefix = ''): string {
  if (err !== null && typeof err === 'object' && 'message' in err) {
    return `Uncaught Error: ${prefix}${String((err as { message: unknown }).message)}`;
  }
  if (typeof err === 'string') return `Uncaught ${prefix}${JSON.stringify(err)}`;
  return `Uncaught ${prefix}${String(err)}`;
}
