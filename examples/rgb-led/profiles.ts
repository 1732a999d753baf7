/**
 * The RGB LED example's own hardware, described as BoardProfile objects (not
 * the built-in profiles): where the status LED and the configuration button
 * are wired on each chip. Pure data, so host tests can read the pins too.
 */
import { BoardProfile } from '../../boards/profiles';

/**
 * ESP32 DevKitC with a common-anode RGB LED (anode to 3V3; red, green and
 * blue cathodes through 220 Ω to GPIO25, GPIO26, GPIO27, PWM-dimmed and
 * inverted) and a push button from GPIO13 to GND (internal pull-up).
 */
export const ESP32_RGB: BoardProfile = {
  name: 'ESP32 + RGB LED',
  chip: 'ESP32',
  button: { pin: 13, activeLow: true },
  led: { kind: 'rgb', pins: [25, 26, 27], inverted: true }
};

/**
 * NodeMCU / Wemos D1 mini (ESP8266) with one WS2812 pixel, data on GPIO4
 * (D2), and a push button from GPIO14 (D5) to GND (internal pull-up).
 */
export const ESP8266_WS2812: BoardProfile = {
  name: 'ESP8266 + WS2812',
  chip: 'ESP8266',
  button: { pin: 14, activeLow: true },
  led: { kind: 'ws2812', pin: 4 }
};
