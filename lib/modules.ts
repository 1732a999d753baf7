/**
 * The names of the Storage modules the device loads on use (the build writes
 * each one to the board's Storage under this name; see rollup.config.mjs).
 */

/** Storage module with these steps, loaded by the device for each event. */
export const STEPS_MODULE = 'edgent-steps';
/** Storage module with the product options' checks (`lib/setup.ts`), loaded once by `createEdgent`. */
export const SETUP_MODULE = 'edgent-setup';
/** Storage module with the portal, DNS and scanner (`lib/mode-config.ts`), loaded to start and stop config mode and for each of its requests. */
export const CONFIG_MODULE = 'edgent-portal';
/** Storage module with the cloud client (`lib/mode-cloud.ts`), loaded for each of its calls and each socket or timer event. */
export const CLOUD_MODULE = 'edgent-cloud';
/** Storage module with the config store (`lib/mode-store.ts`), loaded for each use of the record. */
export const STORE_MODULE = 'edgent-store';
/** Storage module with the button's gestures (`lib/mode-button.ts`), loaded for each edge and hold stage. */
export const BUTTON_MODULE = 'edgent-button';
/** Storage module with the firmware update (`lib/ota.ts`), loaded for each step of an update and for the first login after one. */
export const OTA_MODULE = 'edgent-ota';
/** Storage module with the body path of a firmware update (`lib/ota.ts` `otaData`), loaded for each chunk of a download. */
export const OTA_DATA_MODULE = 'edgent-otad';
