/**
 * Public types of the virtual Espruino board.
 */

/** The emulated chip. */
export type Chip = 'ESP32' | 'ESP8266';

/** Security of a virtual access point. */
export type ApSecurity = 'OPEN' | 'WEP' | 'WPA' | 'WPA2' | 'WPA+WPA2' | 'WPA2-EAP' | 'WPA3' | 'WPA2+WPA3';

/** A Wi-Fi network the virtual radio can see. */
export interface VirtualAp {
  /** SSID as a byte string (one char per byte). */
  ssid: string;
  /** Passphrase; '' = open network. */
  password: string;
  /** Signal strength in dBm (negative). */
  rssi: number;
  /** Channel 1..13. */
  channel: number;
  /** Hidden SSID: scans report it with an empty SSID, `connect` still finds it. @default false */
  hidden?: boolean;
  /** BSSID 'aa:bb:cc:dd:ee:ff'. @default derived from the SSID */
  bssid?: string;
  /** Security; defaults to 'OPEN' without a password, else 'WPA2'. */
  sec?: ApSecurity;
  /** Powered and beaconing. @default true */
  up?: boolean;
  /** Runs a DHCP server; false => joining associates but never gets an IP. @default true */
  dhcp?: boolean;
}

/** Options of {@link createBoard}. */
export interface BoardOptions {
  /** Chip to emulate. */
  chip: Chip;
  /** Flash image file (JSON); survives reboots and host restarts. Absent => in memory. */
  flashFile?: string;
  /** The radio environment (shared by boards that should see the same networks). */
  radio: import('./radio').VirtualRadio;
  /** Station MAC 'AA:BB:CC:DD:EE:FF'; the AP MAC is this with the first byte + 2. @default per chip */
  mac?: string;
  /** Host loopback TCP port where the device's HTTP server on port 80 is reachable; 0 = ephemeral. */
  httpPort: number;
  /** Host loopback UDP port where the device's dgram socket bound to 53 is reachable; 0 = ephemeral. */
  dnsPort: number;
  /**
   * Maps a device TCP/TLS destination to a host address; null = the name does
   * not resolve (socket 'error' code -6 "not found"). @default every host unreachable
   */
  resolve?: (host: string, port: number) => { host: string; port: number } | null;
  /** Receives every device console line. */
  log?: (line: string) => void;
}

/** Host view of the board's flash (like `espruino --storage name:file`). */
export interface HostStorage {
  /** File contents as a byte string, or undefined. */
  read(name: string): string | undefined;
  /** Writes (replaces) a file; strings are byte strings. Never subject to power cuts. */
  write(name: string, data: string | Uint8Array): void;
  /** File names in flash order. */
  list(): string[];
  /** Deletes a file. */
  erase(name: string): void;
  /** Flash bytes the device has written since power-up of this image (data, headers, delete marks: what `cutPowerAfterFlashBytes` counts). */
  written(): number;
}

/** Payload of the board's 'pin' event. */
export interface PinEvent {
  pin: number;
  value: number;
}

/** Payload of the board's 'neopixel' event. */
export interface NeopixelEvent {
  pin: number;
  data: number[];
}

/** Payload of the board's 'off' event. */
export interface OffEvent {
  /** 'power' = powerCut(), 'flash' = armed cut during a flash write. */
  cause: 'power' | 'flash';
}
