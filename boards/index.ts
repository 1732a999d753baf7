/**
 * The library as one Espruino module (`require('espruino-edgent')`): the core
 * entry point, the board driver, board profiles and the boot helper.
 */
export { createEdgent, AP_IP } from '../lib/edgent';
export { createBoard } from './driver';
export { runAtBoot } from './boot';
export { ESP32_DEVKITC, ESP8266_NODEMCU, WEMOS_D1_MINI } from './profiles';
