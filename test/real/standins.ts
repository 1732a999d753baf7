/**
 * Wi-Fi stand-ins for the real Espruino interpreters (which have no radio):
 * JavaScript source for the Storage file `.boot0`, which Espruino runs before
 * `.bootcde` at every boot, so the stand-ins exist again after a "reboot" (a
 * new process on the same `espruino.flash`).
 *
 * The source registers a `Wifi` module (`Modules.addCached`) with the shapes
 * of the chip's own one (Espruino's `jswrap_esp8266_network.c` and
 * `jswrap_esp32_network.c`), the chip's reboot: `require("ESP8266")` or
 * the `ESP32` global, whose `reboot()` prints `STANDIN REBOOT` and then calls
 * `E.reboot()` (which ends the process on these builds), and `pinMode` /
 * `digitalRead` that see the pull-up of an input pin. Globals it adds: `W`
 * (the Wifi module), `__standin` (its state), `pinMode`, `digitalRead`.
 *
 * Behaviour comes from the JSON Storage file `standin.json` (`standinJson`),
 * read once as `.boot0` runs and kept in `__standin.c` (`RealBoard.setStandin`
 * rewrites it and reads it again, so a test can change the networks between
 * boots or while the firmware runs). Kept rather than read at each call: a
 * chip's radio takes no JsVars for its own settings, so what the stand-ins
 * hold belongs to their measured cost (the baseline firmware figures are
 * reported above), and what a call allocates is only what the chip's call
 * gives the firmware (answer objects, scan results). The test acts as the
 * rest of the world through console expressions (`standinDrop`,
 * `standinStation`), which cost the board nothing.
 *
 * Lean on purpose: every function that exists on the board costs JsVars
 * (about 4 for one defined at the top level of a file in flash, more with
 * named parameters or inside another function) and the stand-ins' cost makes
 * the firmware's memory gate stricter than real hardware. So the methods are
 * defined at the top level of `.boot0` on the module object, read their
 * arguments through `arguments`, keep their state in one small global object
 * (`__standin`: `sta` the joined SSID or null, `ap` 1 while the access point
 * is up, `scan` 1 while a scan runs, `pu` one bit per pulled-up pin, `c` the
 * configuration), leave
 * the chip-specific choices to this generator (the source differs per chip),
 * and take their defaults from the normalised `standin.json`. Functions that exist only while a timer is
 * pending cost nothing at idle.
 *
 * Espruino's `emit` queues the event (listeners run after the current
 * callback, before timers), like the chips' native events, so the stand-ins
 * emit directly and put callbacks on timers where the order matters.
 *
 * Shapes, per chip (as the C sources define them):
 * - `connect(ssid, {password}, cb)` fails with `bad_password` / `no_ap_found`
 *   (ESP8266) or `AUTH_FAIL` / `NO_AP_FOUND` (ESP32); on success the
 *   `associated` event comes first, then `cb(null)`, then the `connected`
 *   event. Connecting while joined leaves the old network first.
 * - `connected` details: ESP8266 `{ip, mask, gw}`, ESP32 `{ip, netmask, gw}`;
 *   `associated` details `{ssid, mac, channel}` (channel a string on ESP32).
 * - `disconnected` details `{ssid, mac, reason}`: ESP8266 reason words
 *   (`assoc_leave`, `beacon_timeout`), ESP32 reason numbers as strings (`8`,
 *   `200`). Nothing is emitted when not joined.
 * - scan entries: ESP8266 `authMode` a number (0 open … 4 wpa_wpa2), channel a
 *   number, `isHidden`; ESP32 `authMode` a name, channel a string, no
 *   `isHidden`. A second scan while one runs throws.
 * - `startAP` throws when a password is given that is shorter than 8; its
 *   callback gets `null`.
 * - `getIP`/`getAPIP` return `{ip, netmask, gw, mac}` and call back `cb(info)`
 *   (ESP8266) or `cb(null, info)` (ESP32).
 * - `setHostname`, `setIP`: nothing to do; a callback (second argument)
 *   gets `null`.
 * - ESP8266 boots with its own open soft AP up.
 * - `sta_joined` / `sta_left` (a phone on the access point) and `dhcp_timeout`
 *   are never emitted by the stand-ins: `standinStation` emits the first two.
 * - Pins: `pinMode` remembers which pins have their pull-up on and
 *   `digitalRead` gives 1 for those, 0 for the others (nothing is pressed).
 *   The interpreter's own `digitalRead` reads 0 whatever the mode (and its
 *   `setWatch` turns the pin's mode back to `input`), so an active-low button
 *   (the boards' BOOT/FLASH button on GPIO0) would look held from boot, and a
 *   held button postpones the ERROR reboot for ever.
 *
 * Not there (the firmware does not use them): `getDetails`, `getAPDetails`,
 * `getStatus`, `setConfig`, `save`, `ESP8266.getResetInfo` and the rest of
 * the chips' modules.
 *
 * The source is ES5 that Espruino parses: no arrow functions, no let/const,
 * no regular expressions. `require("ESP8266")` (ESP8266) and the `ESP32`
 * global (ESP32) are the Wifi module object itself, which carries `reboot`:
 * that saves a second object.
 */

/** A network the stand-in's radio can see. */
export interface StandinNetwork {
  ssid: string;
  /** Needed unless `auth` is `open`. */
  password?: string;
  rssi: number;
  channel: number;
  /** `open`, `wep`, `wpa`, `wpa2` or `wpa_wpa2` (default `open`). */
  auth?: string;
  /** The access point's MAC address (default `aa:bb:cc:00:00:1N`, N = index). */
  bssid?: string;
  /** A hidden network: scans report it with an empty SSID. */
  hidden?: boolean;
}

/** The contents of the Storage file `standin.json`. */
export interface StandinConfig {
  networks: StandinNetwork[];
  /** Station MAC address. */
  mac?: string;
  /** Access point MAC address. */
  apMac?: string;
  /** Milliseconds from `connect` to its outcome (default 20). */
  joinMs?: number;
  /** Milliseconds from `scan` to its results (default 50). */
  scanMs?: number;
}

/** One home network, and the default MAC addresses. */
export const DEFAULT_STANDIN: StandinConfig = {
  networks: [{ ssid: 'Home', password: 'correct horse', rssi: -48, channel: 6, auth: 'wpa2' }],
  mac: '5c:cf:7f:01:02:03',
  apMac: '5e:cf:7f:01:02:03'
};

/** The security names of ESP8266's numeric `authMode`, by number. */
const ESP8266_AUTH = ['open', 'wep', 'wpa', 'wpa2', 'wpa_wpa2'];

/**
 * The text of `standin.json` for `config`, with every default filled in
 * (BSSIDs, MAC addresses, delays, `auth`), so the board needs no code for them.
 *
 * @param config the networks and addresses the stand-ins show
 * @returns JSON text for the Storage file `standin.json`
 */
export function standinJson(config: StandinConfig = DEFAULT_STANDIN): string {
  const networks = config.networks.map((n, i) => {
    const out: StandinNetwork = {
      ssid: n.ssid,
      rssi: n.rssi,
      channel: n.channel,
      auth: n.auth || 'open',
      bssid: n.bssid || 'aa:bb:cc:00:00:' + (16 + i).toString(16)
    };
    if (n.password !== undefined) out.password = n.password;
    if (n.hidden) out.hidden = true;
    return out;
  });
  return JSON.stringify({
    networks,
    mac: config.mac || DEFAULT_STANDIN.mac,
    apMac: config.apMac || DEFAULT_STANDIN.apMac,
    joinMs: config.joinMs || 20,
    scanMs: config.scanMs || 50
  });
}

/**
 * A console expression that makes the joined network go away (the router
 * drops the link): the stand-in forgets the network and emits `disconnected`
 * with the chip's reason for a lost beacon (nothing when not joined).
 *
 * @returns one line of Espruino JavaScript for `RealBoard.eval`
 */
export function standinDrop(chip: 'ESP8266' | 'ESP32'): string {
  return `require("Wifi").disconnect(${JSON.stringify(chip === 'ESP8266' ? 'beacon_timeout' : '200')})`;
}

/**
 * A console expression for a phone joining (or leaving) the device's access
 * point: the Wifi module emits `sta_joined` / `sta_left` `{mac}`, as both
 * chips do.
 *
 * @returns one line of Espruino JavaScript for `RealBoard.eval`
 */
export function standinStation(mac: string, joined: boolean): string {
  return `require("Wifi").emit(${JSON.stringify(joined ? 'sta_joined' : 'sta_left')},{mac:${JSON.stringify(mac)}})`;
}

/** The stand-ins' read of their configuration (`__standin.c`). */
export const STANDIN_READ = 'require("Storage").readJSON("standin.json",1)||{networks:[]}';

/**
 * The stand-ins' JavaScript source for `.boot0` on `chip`.
 *
 * `disconnect` takes, besides the chips' optional callback, a reason string
 * in its place: the link was lost for that reason (how `standinDrop` plays a
 * router going away without a function of its own on the board).
 *
 * @param chip the chip whose Wifi shapes to reproduce
 * @returns ES5 source text that Espruino can run from flash
 */
export function standinSource(chip: 'ESP8266' | 'ESP32'): string {
  const e8 = chip === 'ESP8266';
  const q = (v: string) => JSON.stringify(v);
  // One callback argument, queued; ESP32 puts an error slot (null) first where the chips differ.
  const ipCb = e8 ? 'setTimeout(f,0,o)' : 'setTimeout(f,0,null,o)';
  const channel = e8 ? 'x.channel' : 'String(x.channel)';
  const cfg = '__standin.c';
  const lines = [
    'Modules.addCached("Wifi",function(){exports.a=0;});',
    `var W=require("Wifi"),__standin={sta:null,ap:${e8 ? 1 : 0},scan:0,pu:0,c:${STANDIN_READ}};`,
    'delete W.a;',
    // connect(ssid, {password}, cb)
    'W.connect=function(){var a=arguments,ssid=a[0],pw=(a[1]&&a[1].password)||"",cb=a[2],c=' + cfg + ';',
    'if(__standin.sta!==null)W.disconnect();',
    'setTimeout(function(){var n=c.networks,i=n.length,x;while(i--)if(n[i].ssid===ssid)break;x=n[i];',
    `if(!x){if(typeof cb=="function")cb(${q(e8 ? 'no_ap_found' : 'NO_AP_FOUND')});return;}`,
    `if(x.auth!="open"&&x.password!==pw){if(typeof cb=="function")cb(${q(e8 ? 'bad_password' : 'AUTH_FAIL')});return;}`,
    '__standin.sta=ssid;',
    `W.emit("associated",{ssid:ssid,mac:x.bssid,channel:${channel}});`,
    `setTimeout(function(){if(typeof cb=="function")cb(null);W.emit("connected",{ip:"127.0.0.1",${e8 ? 'mask' : 'netmask'}:"255.0.0.0",gw:"127.0.0.1"});},0);`,
    '},c.joinMs);};',
    // disconnect(cb) or disconnect(reason)
    'W.disconnect=function(){var a=arguments[0],s=__standin.sta,n,i,m="";',
    'if(s!==null){__standin.sta=null;n=(' + cfg + ').networks;for(i=0;i<n.length;i++)if(n[i].ssid===s)m=n[i].bssid;',
    `W.emit("disconnected",{ssid:s,mac:m,reason:typeof a=="string"?a:${q(e8 ? 'assoc_leave' : '8')}});}`,
    'if(typeof a=="function")setTimeout(a,0);};',
    // startAP(ssid, {password, authMode}, cb), stopAP(cb)
    'W.startAP=function(){var a=arguments,p=a[1]&&a[1].password;',
    'if(p!==undefined&&String(p).length<8)throw new Error("Password must be string of at least 8 characters");',
    '__standin.ap=1;if(typeof a[2]=="function")setTimeout(a[2],0,null);};',
    'W.stopAP=function(){var f=arguments[0];__standin.ap=0;if(typeof f=="function")setTimeout(f,0);};',
    // scan(cb)
    'W.scan=function(){var cb=arguments[0],c=' + cfg + ';',
    'if(__standin.scan)throw new Error("A scan is already in progress");',
    '__standin.scan=1;',
    'setTimeout(function(){var n=c.networks,r=[],i,x,e;__standin.scan=0;',
    'for(i=0;i<n.length;i++){x=n[i];',
    `e={ssid:x.hidden?"":x.ssid,mac:x.bssid,rssi:x.rssi,authMode:${e8 ? q(ESP8266_AUTH.join(' ')) + '.split(" ").indexOf(x.auth)' : 'x.auth'},channel:${channel}};`,
    e8 ? 'e.isHidden=!!x.hidden;' : '',
    'r.push(e);}cb(r);},c.scanMs);};',
    // getIP(cb), getAPIP(cb)
    'W.getIP=function(){var f=arguments[0],s=__standin.sta!==null,o={ip:s?"127.0.0.1":"0.0.0.0",netmask:s?"255.0.0.0":"0.0.0.0",gw:s?"127.0.0.1":"0.0.0.0",mac:(' + cfg + ').mac};',
    `if(typeof f=="function")${ipCb};return o;};`,
    'W.getAPIP=function(){var f=arguments[0],s=__standin.ap,o={ip:s?"192.168.4.1":"0.0.0.0",netmask:s?"255.255.255.0":"0.0.0.0",gw:s?"192.168.4.1":"0.0.0.0",mac:(' + cfg + ').apMac};',
    `if(typeof f=="function")${ipCb};return o;};`,
    // setHostname(name, cb), setIP(settings, cb)
    'W.setHostname=W.setIP=function(){var f=arguments[1];if(typeof f=="function")setTimeout(f,0,null);};',
    // Pins: a pulled-up input reads 1, as on a board (the interpreter's own digitalRead reads 0 whatever the mode)
    'function pinMode(){var p=arguments[0]|0;__standin.pu=arguments[1]=="input_pullup"?__standin.pu|1<<p:__standin.pu&~(1<<p);}',
    'function digitalRead(){return __standin.pu>>(arguments[0]|0)&1;}',
    // The chip's reboot, on the module object, which also stands for require("ESP8266") or the ESP32 global
    'W.reboot=function(){print("STANDIN REBOOT");setTimeout(E.reboot,50);};',
    e8 ? 'Modules.addCached("ESP8266",function(){module.exports=require("Wifi");});' : 'global.ESP32=W;'
  ];
  return lines.filter((l) => l.length > 0).join('\n') + '\n';
}
