/**
 * The update module (Storage file `edgent-ota`): the start, the response, the
 * end of a firmware download into the other slot and the check-in after an
 * update (`lib/ota.ts`), loaded for each of those events and for the first
 * login after an update. Only the device's entry points are exported: every
 * export costs RAM while loaded.
 */

export { otaStart, otaOn, otaEnd, otaCheckIn } from './ota';
