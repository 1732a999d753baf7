/**
 * The cloud module (Storage file `edgent-cloud`): the Blynk protocol client
 * (`lib/cloud.ts`) and the board's TCP/TLS client under it (`boards/net.ts`),
 * in one module. The core loads it for the first cloud attempt and drops it
 * when the device leaves the cloud states; the driver's `NetPort.connect`
 * finds the socket code in it, so no other module is in RAM for a connection.
 * Every export is a property that costs RAM while the module is loaded.
 */

export { createCloud } from '../lib/mode-cloud';
export { connect } from './net';
