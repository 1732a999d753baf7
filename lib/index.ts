/**
 * espruino-edgent: Blynk.Edgent-compatible provisioning for Espruino.
 * The library's public surface, bundled as one Espruino module.
 */
export { defaultRecord, validateRecord, isToken } from './record';
