/**
 * The button module (Storage file `edgent-button`): the configuration
 * button's gestures (`lib/button.ts`). The device keeps the watcher's state
 * and loads this module to start and stop watching and for each edge and hold
 * stage (through its relay), so none of this code holds RAM in between.
 */

export { buttonEdge, buttonStage, buttonStart, buttonStop } from './button';
