/**
 * espruino-edgent: Blynk.Edgent-compatible provisioning for Espruino.
 * The library's public surface, bundled as one Espruino module.
 */
export { createEdgent, AP_IP } from './edgent';
export type { Edgent, EdgentOptions } from './edgent';
export type { Hardware } from './ports';
export type { State } from './types';
