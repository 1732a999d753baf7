/**
 * The RGB LED example (examples/rgb-led) from its own bundles on the
 * simulated board: on ESP32 a common-anode RGB LED on three PWM pins, on
 * ESP8266 a WS2812 pixel, and on both a configuration button on a custom
 * GPIO. The LED colour is read back from the pins the firmware drives
 * (inverted PWM levels, or the pixel's GRB bytes).
 */
import { strict as assert } from 'assert';
import type { World } from '../e2e/world';
import type { State } from '../../lib/types';
import { ESP32_RGB, ESP8266_WS2812 } from '../../examples/rgb-led/profiles';
import { CHIPS, bundleOf, cloudPin, eventually, exampleWorld, provisioned } from './helpers';

/** The library's status colours (lib/led.ts), as 0..255 channels. */
const BLUE = [0x0d, 0x36, 0xff];
const GREEN = [0x2e, 0xff, 0xb9];
const WHITE = [0xff, 0xff, 0xff];

/** One colour the LED showed, 0..255 per channel, and the device state at that moment. */
interface Frame {
  state: State;
  rgb: number[];
}

/** Records every colour the example's LED shows, decoded from the board's pin or neopixel events. */
function recordLed(w: World, chip: 'ESP32' | 'ESP8266'): { frames: Frame[]; otherPins: number[] } {
  const frames: Frame[] = [];
  const otherPins: number[] = [];
  if (chip === 'ESP32') {
    const led = ESP32_RGB.led;
    if (!led || led.kind !== 'rgb' || !led.inverted) throw new Error('expected a common-anode RGB LED');
    const level = [0, 0, 0];
    w.dev.board.on('pin', (e: { pin: number; value: number }) => {
      const i = led.pins.indexOf(e.pin);
      if (i < 0) return void otherPins.push(e.pin);
      // Common anode: a channel is lit by a low level.
      level[i] = Math.round((1 - e.value) * 255);
      // The driver writes red, green, then blue: the blue write completes a colour.
      if (i === 2) frames.push({ state: w.dev.state, rgb: level.slice() });
    });
  } else {
    const led = ESP8266_WS2812.led;
    if (!led || led.kind !== 'ws2812') throw new Error('expected a WS2812 pixel');
    w.dev.board.on('pin', (e: { pin: number }) => otherPins.push(e.pin));
    w.dev.board.on('neopixel', (e: { pin: number; data: number[] }) => {
      assert.equal(e.pin, led.pin, 'pixel data on the profile pin');
      assert.equal(e.data.length, 3, 'one pixel');
      frames.push({ state: w.dev.state, rgb: [e.data[1], e.data[0], e.data[2]] });
    });
  }
  return { frames, otherPins };
}

/** The custom button's GPIO of `chip`'s profile. */
function buttonPin(chip: 'ESP32' | 'ESP8266'): number {
  const b = (chip === 'ESP32' ? ESP32_RGB : ESP8266_WS2812).button;
  if (!b || !b.activeLow) throw new Error('expected an active-low button');
  return b.pin;
}

const lit = (f: Frame) => Math.max(f.rgb[0], f.rgb[1], f.rgb[2]) > 0;

for (const chip of CHIPS) {
  describe(`rgb-led example on ${chip} (dist/${bundleOf('rgb-led', chip)})`, function () {
    this.timeout(30000);
    let w: World | undefined;
    afterEach(async () => {
      if (w) await w.close();
      w = undefined;
    });

    it('shows blue blinks in WAIT_CONFIG and breathing green in RUNNING, on the custom LED only', async () => {
      w = await exampleWorld(bundleOf('rgb-led', chip), { chip });
      const led = recordLed(w, chip);
      await w.until('WAIT_CONFIG');
      await w.clock.tickAsync(2000);
      const waiting = led.frames.filter((f) => f.state === 'WAIT_CONFIG');
      assert.ok(waiting.filter(lit).length >= 3, `blinks in WAIT_CONFIG: ${JSON.stringify(waiting)}`);
      for (const f of waiting) assert.deepEqual(f.rgb, lit(f) ? BLUE : [0, 0, 0]);

      await provisioned(w);
      const mark = led.frames.length;
      await w.clock.tickAsync(6000);
      const running = led.frames.slice(mark).filter((f) => f.state === 'RUNNING');
      assert.ok(running.length >= 50, `breathing updates in RUNNING: ${running.length}`);
      for (const f of running) {
        const [r, g, b] = f.rgb;
        // Breathing scales the green colour: green leads, blue follows, red trails.
        assert.ok(g >= b && b >= r, `green-dominant frame ${f.rgb}`);
        if (g >= 100) assert.ok(Math.abs(b / g - GREEN[2] / GREEN[1]) < 0.03 && Math.abs(r / g - GREEN[0] / GREEN[1]) < 0.03, `green hue ${f.rgb}`);
      }
      assert.deepEqual(running.reduce((top, f) => (f.rgb[1] > top[1] ? f.rgb : top), [0, 0, 0]), GREEN, 'full green at the top of the breath');
      assert.ok(running.some((f) => !lit(f)), 'dark at the bottom of the breath');
      assert.deepEqual(led.otherPins, [], 'no other output pin is driven (no default LED on GPIO2)');
      assert.deepEqual(w.dev.board.errors, []);
    });

    it('a 10 s hold of the custom button (not GPIO0) erases the configuration, with the white reset blink', async () => {
      w = await exampleWorld(bundleOf('rgb-led', chip), { chip });
      await provisioned(w);
      const led = recordLed(w, chip);
      // GPIO0, the stock boards' button, is not this product's button.
      w.dev.board.setPinInput(0, 0);
      await w.clock.tickAsync(10200);
      w.dev.board.setPinInput(0, 1);
      await w.clock.tickAsync(500);
      assert.equal(w.dev.state, 'RUNNING', 'GPIO0 held 10 s changes nothing');
      assert.ok(!led.frames.some((f) => f.rgb.join() === WHITE.join()), 'no hold feedback for GPIO0');

      const pin = buttonPin(chip);
      w.dev.board.setPinInput(pin, 0);
      await w.clock.tickAsync(10200);
      assert.ok(led.frames.some((f) => f.rgb.join() === WHITE.join()), 'white blink while held past 10 s');
      w.dev.board.setPinInput(pin, 1);
      await w.until('WAIT_CONFIG');
      assert.ok(w.dev.states.includes('RESET_CONFIG'));
      const stored = w.dev.storedConfig();
      assert.equal(stored.valid, false);
      assert.equal(stored.token, '');
      assert.equal(stored.ssid, '');
    });

    it('a short press of the custom button is the product\'s: counted on V2, still RUNNING', async () => {
      w = await exampleWorld(bundleOf('rgb-led', chip), { chip });
      const id = await provisioned(w);
      const world = w;
      const pin = buttonPin(chip);
      for (let n = 1; n <= 2; n++) {
        world.dev.board.setPinInput(pin, 0);
        await world.clock.tickAsync(300);
        world.dev.board.setPinInput(pin, 1);
        await eventually(world, () => String(cloudPin(world, id, 2)) === String(n), `press ${n} not counted on V2`);
      }
      assert.equal(world.dev.state, 'RUNNING');
      assert.equal(world.dev.storedConfig().valid, true);
    });
  });
}
