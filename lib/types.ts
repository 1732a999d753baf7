/**
 * Shared vocabulary of the core: provisioning states, error codes, the
 * persisted configuration record, the requests the portal hands to the state
 * machine, and what the cloud link connects to and reports.
 */

/** Provisioning states of the Edgent contract (`BOOT` is the initial pseudo-state). */
export type State =
  | 'BOOT'
  | 'WAIT_CONFIG'
  | 'CONFIGURING'
  | 'SWITCH_TO_STA'
  | 'CONNECTING_NET'
  | 'CONNECTING_CLOUD'
  | 'RUNNING'
  | 'OTA_UPGRADE'
  | 'RESET_CONFIG'
  | 'ERROR';

/** No error. */
export const ERR_NONE = 0;
/** Invalid configuration (or static IP could not be applied). */
export const ERR_CONFIG = 700;
/** Cannot join Wi-Fi. */
export const ERR_NET = 701;
/** Cannot reach the cloud. */
export const ERR_CLOUD = 702;
/** The cloud rejected the token. */
export const ERR_TOKEN = 703;
/** Internal error (flash write failed, …). */
export const ERR_INTERNAL = 704;
/** Cloud host name did not resolve. */
export const ERR_CLOUD_DNS = 710;
/** TLS handshake with the cloud failed. */
export const ERR_CLOUD_TLS = 711;
/** Wi-Fi network not found. */
export const ERR_NET_NOT_FOUND = 720;
/** Wi-Fi password rejected. */
export const ERR_NET_AUTH = 722;
/** Joined Wi-Fi but got no IP address. */
export const ERR_NET_NO_IP = 723;

/**
 * The persisted configuration. Strings are byte strings (UTF-8 bytes, one char
 * per byte); limits are enforced by `validateRecord`.
 */
export interface ConfigRecord {
  /** Credentials proven by a cloud login (or saved on request). */
  valid: boolean;
  /** Use the static IPv4 settings below instead of DHCP. */
  staticIp: boolean;
  /** Wi-Fi network, 1..32 bytes when valid. */
  ssid: string;
  /** Wi-Fi password, 0..64 bytes. */
  pass: string;
  /** Device AuthToken: 32 chars of `[-_a-zA-Z0-9]`, or '' when blank. */
  token: string;
  /** Cloud host name, 1..64 bytes. */
  host: string;
  /** Plain TCP port of the cloud. */
  port: number;
  /** TLS port of the cloud. */
  portSsl: number;
  /** Static IP address (dotted quad) or ''. */
  ip: string;
  /** Static subnet mask or ''. */
  mask: string;
  /** Static gateway or ''. */
  gw: string;
  /** Static primary DNS or ''. */
  dns: string;
  /** Static secondary DNS or ''. */
  dns2: string;
  /** Last provisioning error code (0 = none). */
  lastError: number;
  /** Firmware version at save time. */
  fwVer: string;
}

/** What the HTTP portal asks of the state machine. Handlers never do the work themselves. */
export type PortalRequest =
  /** The phone read `/board_info.json`. */
  | { type: 'board_info' }
  /** A valid `/config` arrived (the reply has been sent). `save`: persist before trying. */
  | { type: 'config'; config: ConfigRecord; save: boolean }
  /** `/reset` (the reply has been sent). */
  | { type: 'reset' }
  /** `/reboot` (the reply has been sent). */
  | { type: 'reboot' }
  /** Any request: the portal is in use (restarts the idle timeout). */
  | { type: 'activity' };

/** Values served by `/board_info.json`. */
export interface BoardInfo {
  /** Template name. */
  board: string;
  /** Template id. */
  tmpl_id: string;
  /** Firmware type. */
  fw_type: string;
  /** Firmware version. */
  fw_ver: string;
  /** The device's own access point SSID. */
  ssid: string;
  /** Access point MAC. */
  bssid: string;
  /** Station MAC. */
  mac: string;
  /** Last provisioning error code. */
  last_error: number;
  /** Scanning is supported. */
  wifi_scan: boolean;
  /** Static IP is supported. */
  static_ip: boolean;
}

/** Where and how the cloud link connects. */
export interface CloudTarget {
  /** Cloud host name or address. */
  host: string;
  /** Port to try first. */
  port: number;
  /** Connect with TLS. */
  tls: boolean;
  /** Device AuthToken (32 chars). */
  token: string;
  /** PEM certificate the cloud's TLS certificate must chain to; absent = the board's default CA; false = not verified. */
  ca?: string | false;
}

/** What the cloud link reports to the state machine. */
export type CloudEvent =
  /** Logged in (status 200 or 4); the info message has been sent. */
  | { type: 'online' }
  /** The cloud answered the login with a status other than OK: 9 = invalid token. */
  | { type: 'rejected'; status: number }
  /**
   * The attempt failed or the link dropped. `reason`: `dns`, `tls`,
   * `refused`, `timeout`, `closed`, `protocol`, … for logs and error codes.
   */
  | { type: 'offline'; reason: string }
  /** A console command from the cloud (`dbg` INTERNAL). */
  | { type: 'command'; command: 'reboot' | 'config start' | 'config erase' }
  /** Blynk.Air's update command (INTERNAL `ota`): the firmware image's URL. */
  | { type: 'ota'; url: string };
