/**
 * The cloud module (Storage file `edgent-cloud`): the Blynk protocol client
 * (`lib/cloud.ts`), loaded for each call and each socket or timer event while
 * the device is in the cloud states. The client's state is a `CloudState` the
 * device keeps; every export is a property that costs RAM while the module is
 * loaded.
 */

export { cloudState, cloudConnect, cloudDrop, cloudMeta, cloudPins, cloudOn } from './cloud';
