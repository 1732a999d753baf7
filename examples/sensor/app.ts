/**
 * A sensor product: while the device is online (state RUNNING) it publishes
 * a temperature to virtual pin V5 every few seconds; the app sets the publish
 * interval, in seconds, on V6. Provisioning and the product share the board:
 * the library owns Wi-Fi, the portal, the button and the status LED; the
 * product owns its timer, started on entering RUNNING and cleared on leaving
 * it and when the firmware is stopped (before save()/reset()).
 */
import { createEdgent } from '../../lib/edgent';
import { createBoard } from '../../boards/driver';
import { runAtBoot } from '../../boards/boot';
import { BoardProfile } from '../../boards/profiles';

/** Virtual pin the readings go to. */
const V_TEMPERATURE = 5;
/** Virtual pin that sets the publish interval in whole seconds; the device echoes the interval in force. */
const V_INTERVAL = 6;
/** Publish interval until the app sets one, s. */
const DEFAULT_INTERVAL_S = 5;
/** Shortest interval accepted from V6, s. */
const MIN_INTERVAL_S = 1;
/** Longest interval accepted from V6, s. */
const MAX_INTERVAL_S = 3600;

/**
 * The reading. A stand-in for a real sensor so the example runs on a bare
 * board: a slow wave between 18 and 24 °C with a 10 minute period, one
 * decimal. On real hardware read the sensor here (e.g. `analogRead(D34)`
 * scaled for a thermistor on an ESP32).
 */
function readTemperature(): number {
  return Math.round((21 + 3 * Math.sin((getTime() * 2 * Math.PI) / 600)) * 10) / 10;
}

/** An interval from a V6 value: whole seconds within bounds, or -1. */
function parseInterval(value: string): number {
  const s = Number(value);
  return s >= MIN_INTERVAL_S && s <= MAX_INTERVAL_S && Math.floor(s) === s ? s : -1;
}

/** Starts the product on `board` at every boot. */
export function main(board: BoardProfile): void {
  runAtBoot(function () {
    let intervalS = DEFAULT_INTERVAL_S;
    let timer: number | null = null;
    const device = createEdgent({
      templateId: 'TMPL4sensor1',
      templateName: 'Thermometer',
      fwVersion: '0.1.0'
    }, createBoard(board));

    function publish(): void {
      // Re-armed first: the pending timer is always the one `timer` names.
      timer = setTimeout(publish, intervalS * 1000);
      const t = readTemperature();
      console.log('sensor: V5 ' + t);
      device.virtualWrite(V_TEMPERATURE, t);
    }
    function stopPublishing(): void {
      if (timer === null) return;
      clearTimeout(timer);
      timer = null;
      console.log('sensor: stopped');
    }

    device.onStateChange(function (next) {
      stopPublishing();
      if (next !== 'RUNNING') return;
      // The interval set from the app survives reboots in the cloud: ask for it again.
      device.syncVirtual([V_INTERVAL]);
      publish();
    });
    device.onVirtualWrite(function (pin, values) {
      if (pin !== V_INTERVAL) return;
      const s = parseInterval(values[0]);
      if (s > 0 && s !== intervalS) {
        intervalS = s;
        if (timer !== null) {
          clearTimeout(timer);
          timer = setTimeout(publish, intervalS * 1000);
        }
      }
      // Confirms the interval in force, so the app shows it (and drops a rejected value).
      device.virtualWrite(V_INTERVAL, intervalS);
    });
    device.start();
    return {
      stop: function () {
        stopPublishing();
        device.stop();
      }
    };
  });
}
