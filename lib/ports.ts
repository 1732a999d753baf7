/**
 * Hardware ports: the only way the board-agnostic core reaches the board.
 *
 * Each capability is one small interface of plain functions; a board driver
 * (`boards/`) or a test fake implements them and hands them to the core in one
 * `Hardware` object. Optional hardware (button, LED) is absent, not faked.
 *
 * Strings crossing a port are byte strings: one char per byte (0..255), as the
 * Espruino interpreter on ESP chips stores them. A UTF-8 SSID of 3 characters
 * may therefore be a string of length 6.
 */

/** Undoes a registration (listener, watch) made by the call that returned it. */
export type Undo = () => void;

/** Opaque timer handle returned by `ClockPort.setTimeout`. */
export type TimerId = unknown;

/** Time and timers. */
export interface ClockPort {
  /** Milliseconds since an arbitrary origin; never decreases. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerId;
  /** Cancels a timer; unknown or fired ids are ignored. */
  clearTimeout(id: TimerId): void;
}

/** Why a station join failed, as far as the radio tells. */
export type JoinFailure =
  /** The network rejected the password (reported as 722). */
  | 'wrong_password'
  /** No access point with that SSID answered (720). */
  | 'no_ap_found'
  /** Associated, but DHCP gave no address (723). */
  | 'no_ip'
  /** The static IP settings could not be applied (700). */
  | 'bad_static_ip'
  /** Any other failure (701). */
  | 'failed';

/** Security of a scanned network, spelled as the Blynk app expects. */
export type WifiSecurity =
  | 'OPEN' | 'WEP' | 'WPA' | 'WPA2' | 'WPA+WPA2' | 'WPA2-EAP' | 'WPA3' | 'WPA2+WPA3' | 'unknown';

/** One network seen by a scan. */
export interface ScanEntry {
  /** Network name (byte string, may be empty for hidden networks). */
  ssid: string;
  /** Access point MAC, `AA:BB:CC:DD:EE:FF`. */
  bssid: string;
  /** Signal strength in dBm. */
  rssi: number;
  /** Security mode. */
  sec: WifiSecurity;
  /** Radio channel. */
  ch: number;
  /** True for a hidden network (ESP8266 reports it). */
  hidden: boolean;
}

/** Static IPv4 settings for the station (dotted quads; `dns2` may be empty). */
export interface StaticIp {
  /** Device address. */
  ip: string;
  /** Subnet mask. */
  mask: string;
  /** Gateway. */
  gw: string;
  /** Primary DNS server. */
  dns: string;
  /** Secondary DNS server, or ''. */
  dns2: string;
}

/** Access point settings. */
export interface ApOptions {
  /** SSID, at most 31 bytes. */
  ssid: string;
  /** WPA2 password (8..63 chars), or '' for an open network. */
  password: string;
}

/** Station join settings. */
export interface JoinOptions {
  /** Network to join. */
  ssid: string;
  /** Its password, '' for open networks. */
  password: string;
  /** DHCP host name to announce. */
  hostname: string;
  /** Static IPv4 settings, or null for DHCP. */
  staticIp: StaticIp | null;
}

/** Something the radio reports on its own. */
export type WifiEvent =
  /** The number of phones joined to our access point changed. */
  | { type: 'stations'; count: number }
  /** The station link to the router was lost after a successful join. */
  | { type: 'lost'; reason: string };

/** The Wi-Fi radio: our access point, the station link and scans. */
export interface WifiPort {
  /** Starts the access point at 192.168.4.1; `cb(err)` with an error text on failure. */
  startAP(opts: ApOptions, cb: (err: string | null) => void): void;
  /** Stops the access point (no-op when it is down). */
  stopAP(): void;
  /**
   * Joins a network. `cb(null)` once associated with an IP address, or
   * `cb(reason)` when the radio gives up. The core keeps its own timeout: a
   * driver may never call back.
   */
  join(opts: JoinOptions, cb: (err: JoinFailure | null) => void): void;
  /** Drops the station link (no-op when not joined). */
  leave(): void;
  /** True while the station is joined and has an IP address. */
  isJoined(): boolean;
  /** Scans for networks; `cb` gets every network seen (possibly none). */
  scan(cb: (list: ScanEntry[]) => void): void;
  /** Station MAC, `AA:BB:CC:DD:EE:FF`. */
  staMac(): string;
  /** Access point MAC, `AA:BB:CC:DD:EE:FF`. */
  apMac(): string;
  /** Subscribes to radio events. */
  onEvent(fn: (ev: WifiEvent) => void): Undo;
}

/** An HTTP request as the board's server received it. */
export interface HttpRequest {
  /** Request method, e.g. `GET`. */
  method: string;
  /** Path and query exactly as received (byte string, not decoded). */
  url: string;
  /** Header fields; names as the board reports them. */
  headers: { [name: string]: string };
  /**
   * Subscribes to `data` (a body chunk, byte string), `end` (the body is
   * complete) or `close` (the client went away): Espruino's own request
   * events, so the driver hands its request object over as it is.
   */
  on(event: 'data' | 'end' | 'close', fn: (chunk?: string) => void): void;
}

/** The response to one HTTP request. */
export interface HttpResponse {
  /** Sends the status line and headers. */
  writeHead(status: number, headers: { [name: string]: string }): void;
  /** Sends a body chunk (byte string). */
  write(chunk: string): void;
  /** Finishes the response, optionally with a last chunk, and closes it. */
  end(chunk?: string): void;
  /** `drain`: calls `fn` each time written data has left and more can be written. */
  on(event: 'drain', fn: () => void): void;
}

/** A listening HTTP server. */
export interface HttpServer {
  /** Stops listening and drops open connections. */
  close(): void;
}

/** The response of an HTTP GET, as Espruino's client gives it. */
export interface HttpClientResponse {
  /** Status code of the answer. */
  statusCode: number | string;
  /** Header fields; names as the server sent them. */
  headers: { [name: string]: string };
  /** `data`: a body chunk (byte string); `close`: the connection ended (whole body or not). */
  on(event: 'data' | 'close', fn: (chunk?: string) => void): void;
}
/** An HTTP GET in progress. */
export interface HttpClientRequest {
  /** `error`: the request failed (`{message}`); `close` follows. */
  on(event: 'error', fn: (err: { message?: string }) => void): void;
}
/** HTTP server capability, and the client of an update's download. */
export interface HttpPort {
  /** Listens on `port`; `handler` runs for each request. */
  listen(port: number, handler: (req: HttpRequest, res: HttpResponse) => void): HttpServer;
  /**
   * Starts a GET of `url` (`https://` only where `NetPort.tls` is set; the
   * server's certificate must then chain to `ca`, DER bytes, or without it to
   * the board's default CA); `fn` gets the response once its head is in.
   * Absent on a board that cannot download.
   */
  get?(url: string, fn: (res: HttpClientResponse) => void, ca?: string): HttpClientRequest;
}

/** Where a UDP datagram came from. */
export interface UdpPeer {
  /** Sender IPv4 address. */
  address: string;
  /** Sender port. */
  port: number;
}

/** A bound UDP socket. */
export interface UdpSocket {
  /** Sends a datagram (byte string). */
  send(data: string, port: number, address: string): void;
  /** Closes the socket. */
  close(): void;
}

/** UDP capability. */
export interface UdpPort {
  /** Binds `port`; `onMessage` gets each datagram as a byte string. */
  bind(port: number, onMessage: (data: string, from: UdpPeer) => void): UdpSocket;
}

/** An open TCP/TLS client socket (Espruino's socket has these methods as they are). */
export interface Socket {
  /** Sends bytes (byte string). */
  write(data: string): void;
  /** Closes the connection. */
  end(): void;
  /** Takes the listener off: nothing more reaches it (called before `end`). */
  removeAllListeners(): void;
}

/** TCP/TLS client capability. */
export interface NetPort {
  /** True if the board can open TLS connections. */
  tls: boolean;
  /**
   * Opens a connection to `host:port`, over TLS if `tls` is set. The server's
   * certificate must chain to `ca` (the DER bytes of one certificate, as a
   * byte string) or, without `ca`, to the board's default CA; `ca: false`
   * connects without verifying it.
   * `fn` gets each of the connection's events as Espruino's socket gives
   * them, never synchronously inside `connect`: the socket (connected), a
   * byte string (received bytes), an error object `{message}` (the connection
   * failed or broke; a failed verification says `tls`), and last a boolean
   * (closed, after an error too). Throws when no connection can be made.
   */
  connect(opts: { host: string; port: number; tls: boolean; ca?: string | false }, fn: (ev: unknown) => void): Socket;
}

/** Key-value flash (Espruino `Storage`): whole files by name. */
export interface FlashPort {
  /**
   * Reads a file, or `length` bytes of it from `offset`; undefined if it does
   * not exist, '' past its end.
   */
  read(name: string, offset?: number, length?: number): string | undefined;
  /**
   * Replaces a file (the old copy is deleted first: a power cut during the
   * write loses it). Returns false, or throws, if the write failed.
   */
  write(name: string, data: string): boolean;
  /**
   * With `offset` and `size`: writes `data` at `offset` of a file of `size`
   * bytes, created (replacing any old one) by the write at offset 0; every
   * byte is written once (Espruino's `Storage.write`).
   */
  write(name: string, data: string, offset: number, size: number): boolean;
  /** Deletes a file (no-op when absent). */
  erase(name: string): void;
  /** Free and deleted bytes (Storage's `getStats()`: a write that needs the deleted ones compacts first). */
  getStats?(): { freeBytes: number; trashBytes: number };
}

/** A push button, already debounced and with polarity applied by the driver. */
export interface ButtonPort {
  /** Calls `fn(pressed)` at every logical edge. */
  watch(fn: (pressed: boolean) => void): Undo;
  /** True while the button is held down. */
  isPressed(): boolean;
}

/** A status LED: single, RGB or one WS2812 pixel; the driver applies brightness and polarity. */
export interface LedPort {
  /**
   * Shows a colour, each channel 0..255. A single-colour LED shows the
   * brightest channel.
   */
  show(r: number, g: number, b: number): void;
}

/** The chip itself. */
export interface SystemPort {
  /** Board family for the cloud (`ESP32`, `ESP8266`). */
  board: string;
  /** Restarts the chip; never returns control to a useful state. */
  reboot(): void;
  /**
   * Chip id as a byte string: the 6-byte station MAC on ESP8266, the 8-byte
   * efuse value on ESP32.
   */
  chipId(): string;
  /** Writes a line to the console. */
  log(line: string): void;
  /**
   * The running firmware's slot, as the loader left it (lib/slots.ts): `p`
   * prefixes the Storage names of the firmware's own files (modules, form,
   * CA). Absent without the loader: the names have no prefix, and there are
   * no updates.
   */
  slot?: { p: string; c: number };
  /** CRC-32 of a byte string, e.g. a file just read (Espruino's `E.CRC32`). @default lib/crc32.ts */
  crc?(data: string): number;
}

/**
 * Code kept in flash and loaded only while a mode needs it: on Espruino, a
 * Storage module `require`d on use and dropped with `Modules.removeCached`,
 * so that its functions hold no RAM in the other modes.
 */
export interface ModulePort {
  /** The exports of the module stored as `name` (loaded on first use); throws if it is missing. */
  load(name: string): any;
  /** Forgets module `name`: its functions are freed once nothing holds them. */
  unload(name: string): void;
}

/** Every port, handed to the core in one object. */
export interface Hardware {
  /** Time and timers. */
  clock: ClockPort;
  /**
   * The Wi-Fi radio's port, for one use: call it each time and keep no
   * reference (a board loads the port's code from flash for each use).
   */
  wifi: () => WifiPort;
  /** HTTP server. */
  http: HttpPort;
  /** UDP sockets (DNS). */
  udp: UdpPort;
  /** TCP/TLS client sockets (cloud). */
  net: NetPort;
  /** Flash files. */
  flash: FlashPort;
  /** Reboot, chip id, console. */
  system: SystemPort;
  /** Mode modules in flash. */
  modules: ModulePort;
  /** Configuration button, if the board has one. */
  button?: ButtonPort;
  /** Status LED, if the board has one. */
  led?: LedPort;
}
