/**
 * The update's body module (Storage file `edgent-otad`): what each chunk of a
 * firmware download needs (`lib/ota.ts` `otaData`: the MD5, the image's head,
 * the files' bytes into the other slot), loaded for each chunk. Kept apart
 * from `edgent-ota` so that the module in RAM at the update's busiest
 * instant is small.
 */

export { otaData } from './ota';
