/**
 * The library as one Espruino module (`require('espruino-edgent')`): the core
 * entry point, the board driver, board profiles and the boot helper, and the
 * types product firmware uses (what the package's declarations export).
 */
export { createEdgent, AP_IP } from '../lib/edgent';
export { createBoard } from './driver';
export { runAtBoot } from './boot';
export { ESP32_DEVKITC, ESP8266_NODEMCU, WEMOS_D1_MINI } from './profiles';
export type { BoardProfile, LedSpec } from './profiles';
export type { Stoppable } from './boot';
export type { Edgent, EdgentOptions } from '../lib/edgent';
export type { Hardware } from '../lib/ports';
export type { State } from '../lib/types';
