/**
 * A fake module port: the mode modules are the TypeScript sources, and every
 * load and unload is recorded so tests can check what is resident in each mode.
 */
import { ModulePort } from '../../lib/ports';
import * as configMode from '../../lib/mode-config';
import * as cloudMode from '../../lib/mode-cloud';
import * as storeMode from '../../lib/mode-store';
import * as steps from '../../lib/steps';
import * as setupMode from '../../lib/mode-setup';
import * as buttonMode from '../../lib/mode-button';
import { BUTTON_MODULE, CLOUD_MODULE, CONFIG_MODULE, SETUP_MODULE, STEPS_MODULE, STORE_MODULE } from '../../lib/edgent';

/** The fake, with the names currently loaded. */
export interface FakeModules extends ModulePort {
  /** Names loaded and not unloaded since, in load order. */
  loaded: string[];
  /** Every `load` call, by name. */
  loads: string[];
}

/** Creates the fake module port. */
export function createFakeModules(): FakeModules {
  const table: { [name: string]: unknown } = {
    [CONFIG_MODULE]: configMode,
    [CLOUD_MODULE]: cloudMode,
    [STORE_MODULE]: storeMode,
    [STEPS_MODULE]: steps,
    [SETUP_MODULE]: setupMode,
    [BUTTON_MODULE]: buttonMode
  };
  const m: FakeModules = {
    loaded: [],
    loads: [],
    load(name: string) {
      if (!(name in table)) throw new Error('Module ' + name + ' not found');
      m.loads.push(name);
      if (m.loaded.indexOf(name) < 0) m.loaded.push(name);
      return table[name];
    },
    unload(name: string) {
      m.loaded = m.loaded.filter((n) => n !== name);
    }
  };
  return m;
}
