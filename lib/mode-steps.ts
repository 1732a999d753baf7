/**
 * The steps module (Storage file `edgent-steps`): the state machine's steps
 * (`lib/steps.ts`), loaded by the device for each event. Only what it calls is
 * exported: every export is a property that costs RAM while the module is loaded.
 */

export { run } from './steps';
