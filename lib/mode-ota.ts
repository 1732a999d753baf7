/**
 * The update module (Storage file `edgent-ota`): the download of an OTA image
 * into the other slot and the check-in after an update (`lib/ota.ts`),
 * loaded for each event of an update and for the first login after one. Only
 * the device's entry points are exported: every export costs RAM while loaded.
 */

export { otaStart, otaOn, otaCheckIn } from './ota';
