/**
 * The build step that shortens internal property names: what it renames
 * (member properties and object keys on the list), what it leaves alone
 * (strings, variables, computed accesses, other names), that the code still
 * computes the same, that it refuses a list or a bundle it could break
 * (collisions, listed names used as strings or exports), that it leaves
 * product code alone, and that the list it ships holds no name the device
 * bundles use in another way.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';
import { rename, shortProps, SHORT_NAMES } from '../../tools/short-props';

const NAMES = { committed: 'cmt', listeners: 'lsn' };

describe('short-props', () => {
  it('renames listed member properties and object keys', () => {
    assert.equal(rename('var S={committed:!1,listeners:[]};S.committed=!0;S.listeners.push(f);', NAMES),
      'var S={cmt:!1,lsn:[]};S.cmt=!0;S.lsn.push(f);');
    assert.equal(rename('a.b.committed.listeners', NAMES), 'a.b.cmt.lsn');
  });

  it('leaves strings, variables, computed accesses and other names alone', () => {
    const src = 'var committed=1;function listeners(){return committed}log("committed: "+committed);x[k]=y.committedX;z[committed]=1;';
    assert.equal(rename(src, NAMES), src);
  });

  it('keeps what the code computes', () => {
    const src = 'var S={committed:2,listeners:[1,2]};S.committed+=S.listeners.length;var committed=S;result=[committed.committed,S.listeners.join()];';
    const run = (code: string) => { const ctx: { result?: unknown } = {}; vm.runInNewContext(code, ctx); return JSON.stringify(ctx.result); };
    const out = rename(src, NAMES);
    assert.notEqual(out, src);
    assert.equal(run(out), run(src));
  });

  it('fails on a listed name used as a string: quoted key, computed access, a name passed around', () => {
    assert.throws(() => rename('var o={"committed":1};', NAMES), /listed name "committed" is used as a string/);
    assert.throws(() => rename('o["listeners"]=[];', NAMES), /listed name "listeners" is used as a string/);
    assert.throws(() => rename('function run(op){return OPS[op]()}run("committed");var OPS={committed:f};', NAMES), /"committed" is used as a string/);
  });

  it('fails on a listed name that is an export of the module', () => {
    assert.throws(() => rename('exports.committed=function(){};', NAMES), /committed is an export/);
  });

  it('fails on a short name the bundle already has as a property name or string', () => {
    assert.throws(() => rename('var o={cmt:1};o.committed=2;', NAMES), /short name cmt is already a property name/);
    assert.throws(() => rename('x.lsn=1;', NAMES), /short name lsn is already a property name/);
    assert.throws(() => rename('x[k]="cmt";', NAMES), /short name "cmt" is also a string/);
  });

  it('fails on a list that cannot work', () => {
    assert.throws(() => rename('', { committed: 'cmt', listeners: 'cmt' }), /both -> cmt/);
    assert.throws(() => rename('', { committed: 'commi' }), /1 to 4 characters/);
    assert.throws(() => rename('', { committed: '_c' }), /1 to 4 characters/);
    assert.throws(() => rename('', { listeners: 'call' }), /inherited property/);
    assert.throws(() => rename('', { committed: 'lsn', lsn: 'l' }), /itself a listed name/);
  });

  it('renames in the library\'s own modules only: product code keeps its names and strings', () => {
    const plugin = shortProps(NAMES) as unknown as { transform(code: string, id: string): { code: string } | null };
    const own = path.join(__dirname, '../../lib/machine.ts');
    assert.equal(plugin.transform('S.committed = true;', own)!.code, 'S.cmt = true;');
    assert.equal(plugin.transform('export const x = { committed: 1 }; log("committed");', '/tmp/app/app.ts'), null);
    assert.equal(plugin.transform('export const x = { committed: 1 };', path.join(__dirname, '../../examples/basic/app.ts')), null);
  });

  it('ships a list of names longer than 4 characters, each shortened to at most 4, none left in the built bundles', function () {
    for (const [long, short] of Object.entries(SHORT_NAMES)) assert.ok(short.length <= 4 && long.length > 4, `${long} -> ${short}`);
    const dist = path.join(__dirname, '../../dist');
    if (!fs.existsSync(path.join(dist, 'esp8266.js'))) this.skip();
    for (const f of fs.readdirSync(dist).filter((n) => n.endsWith('.js'))) {
      // Renaming a built bundle with the listed names as their own short names changes nothing
      // only if no listed name is left in it as a property or key.
      const code = fs.readFileSync(path.join(dist, f), 'utf8');
      const left: string[] = [];
      for (const long of Object.keys(SHORT_NAMES)) {
        if (rename(code, { [long]: 'Zq' + long.length }, f) !== code) left.push(long);
      }
      assert.deepEqual(left, [], f);
    }
  });
});
