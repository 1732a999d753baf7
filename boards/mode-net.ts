/**
 * The net module (Storage file `edgent-net`): the board's TCP/TLS client
 * (`boards/net.ts`), loaded by the driver for each cloud connection. Only
 * `connect` is exported: every export is a property that costs RAM.
 */

export { connect } from './net';
