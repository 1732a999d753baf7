/**
 * Starting product firmware at boot, exactly once.
 *
 * Espruino runs boot code at every power-up, fires `E.on('init')` afterwards,
 * fires `E.on('kill')` before `save()`/`reset()`, and a `save()` snapshot
 * keeps timers, watches and listeners. `runAtBoot` stops the running
 * instance on `kill` (so a snapshot holds none of its timers or watches),
 * starts it again on `init`, and replaces an instance left by an earlier
 * upload: there is never more than one.
 */

/** Something that can be stopped (e.g. the object `createEdgent` returns). */
export interface Stoppable {
  /** Releases every timer, watch, socket and server. */
  stop(): void;
}

// The running instance and its factory (one product per board).
let app: Stoppable | null = null;
let starter: (() => Stoppable) | null = null;

function up(): void {
  if (!app && starter) app = starter();
}

function down(): void {
  if (app) app.stop();
  app = null;
}

/** Runs `start` now and after every restart; stops it before save()/reset(). */
export function runAtBoot(start: () => Stoppable): void {
  const g = global;
  const old = g.$edgent;
  // An earlier upload's instance is stopped and its hooks taken off: the new upload's replace them.
  if (old) {
    old.down();
    E.removeListener('kill', old.down);
    E.removeListener('init', old.up);
  }
  starter = start;
  g.$edgent = { up: up, down: down };
  E.on('kill', down);
  E.on('init', up);
  up();
}
