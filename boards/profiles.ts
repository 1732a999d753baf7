/**
 * Board profiles: pins and polarity of the configuration button and status
 * LED of common boards, as data. A product passes one of these, or its own
 * object of the same shape, to `createBoard`.
 */

/**
 * The status LED wiring. `brightness` (0..255, default 255) scales every
 * colour: 64 shows a full colour at a quarter of the LED's output.
 */
export type LedSpec =
  /** One LED on a GPIO; `pwm` dims it, otherwise it is on/off. */
  | { kind: 'single'; pin: number; inverted: boolean; pwm: boolean; brightness?: number }
  /** An RGB LED on three PWM pins (`inverted` for common anode). */
  | { kind: 'rgb'; pins: [number, number, number]; inverted: boolean; brightness?: number }
  /** One WS2812 pixel on a data pin. */
  | { kind: 'ws2812'; pin: number; brightness?: number };

/** A board: chip family, button and LED. */
export interface BoardProfile {
  /** Profile name. */
  name: string;
  /** Chip family, also the `dev` the cloud sees. */
  chip: 'ESP32' | 'ESP8266';
  /** Configuration button: GPIO and polarity (active-low uses the pull-up). */
  button?: { pin: number; activeLow: boolean };
  /** Status LED, if any. */
  led?: LedSpec;
}

/** Espressif ESP32 DevKitC: BOOT button on GPIO0 (active-low), blue LED on GPIO2. */
export const ESP32_DEVKITC: BoardProfile = {
  name: 'ESP32 DevKitC',
  chip: 'ESP32',
  button: { pin: 0, activeLow: true },
  led: { kind: 'single', pin: 2, inverted: false, pwm: true }
};

/** NodeMCU v1 (ESP-12E): FLASH button on GPIO0 (D3), LED on GPIO2 (D4), both active-low. */
export const ESP8266_NODEMCU: BoardProfile = {
  name: 'NodeMCU',
  chip: 'ESP8266',
  button: { pin: 0, activeLow: true },
  led: { kind: 'single', pin: 2, inverted: true, pwm: true }
};

/** Wemos D1 mini: button wired from D3 (GPIO0) to GND, LED on D4 (GPIO2), active-low. */
export const WEMOS_D1_MINI: BoardProfile = {
  name: 'Wemos D1 mini',
  chip: 'ESP8266',
  button: { pin: 0, activeLow: true },
  led: { kind: 'single', pin: 2, inverted: true, pwm: true }
};
