/**
 * The Wi-Fi module (Storage file `edgent-wifi`): the board's Wi-Fi port
 * (`boards/wifi.ts`), loaded by the driver for each use. Only `port` and `answer` are
 * exported: every export is a property that costs RAM.
 */

export { answer, port } from './wifi';
