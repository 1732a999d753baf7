import { strict as assert } from 'assert';
import sinon from 'sinon';
describe('toolchain', () => {
  it('runs ts tests with fake timers', () => {
    const clock = sinon.useFakeTimers();
    let fired = false;
    setTimeout(() => { fired = true; }, 10);
    clock.tick(10);
    clock.restore();
    assert.equal(fired, true);
  });
});
