/**
 * The setup module (Storage file `edgent-setup`): the product options' checks
 * (`lib/setup.ts`), loaded by `createEdgent` once at boot.
 */

export { setup } from './setup';
