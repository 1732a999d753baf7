/**
 * A stand-in for an Espruino board's console on a loopback TCP port, faithful
 * to what the EspruinoTools CLI (`espruino -p tcp://127.0.0.1:PORT`) sends when
 * it uploads (recorded from the CLI 0.1.67 first, then modelled here).
 *
 * It does not run JavaScript. It speaks the REPL's line protocol (echo, `>`
 * prompt, DLE `\x10` = no echo for this line, ESC LF = newline that does not
 * execute, ESC [ n d = line number, Ctrl-C = clear the line; a line runs once
 * its brackets balance) and interprets the statements an upload consists of:
 *   - `print(...)`, including the CLI's board query
 *     `print("<","<<",JSON.stringify(process.env),">>",">")`;
 *   - `reset()` / `load()` / `load("file")` (recorded, banner and prompt);
 *   - `require("Storage").write(name, data[, offset[, size]])` with `data` a
 *     JS string literal (the CLI's `\xHH` / octal / `\n` escapes) or
 *     `atob("…")`, checked like the board does: names of 1..28 chars, no
 *     zero-length file, an offset write needs the file created with a size,
 *     no write past that size, each byte written once;
 *   - `E.setBootCode(code[, alwaysExec])` (the CLI's form for pre-1v96 boards
 *     or when it could not read `process.env`): Storage `.bootcde` (`.bootrst`);
 *   - `echo(n)`, `Modules.addCached(...)` (recorded only).
 * Anything else is recorded as `unknown` and answered with an error, so a test
 * sees it. Errors print `Uncaught Error: …` like the board.
 */
import * as net from 'net';

export interface StandinOptions {
  /** process.env.BOARD (default ESP32). */
  board?: string;
  /** process.env.VERSION (default 2v29). */
  version?: string;
  /** true: record but never answer anything (not an Espruino, wrong baud rate, busy board). */
  silent?: boolean;
  /** Bytes of free Storage (default 896 KB); writes beyond it fail with "Not enough free space". */
  storageFree?: number;
  /** After load(): the new code prints this line every `every` ms (a firmware that logs a lot). */
  chatter?: { text: string; every: number };
}

export type StandinEvent =
  | { type: 'prompt' }
  | { type: 'ctrl-c' }
  | { type: 'env' }
  | { type: 'print'; text: string }
  | { type: 'reset' }
  | { type: 'load'; file?: string }
  | { type: 'echo'; on: boolean }
  | { type: 'storage-write'; name: string; length: number; offset?: number; size?: number; base64: boolean }
  | { type: 'set-boot-code'; length: number; alwaysExec: boolean }
  | { type: 'module'; name: string }
  | { type: 'error'; statement: string; message: string }
  | { type: 'unknown'; statement: string };

/** A Storage file: its bytes, and which of them were written (0xFF-filled until then). */
interface StoredFile {
  data: Buffer;
  written: Uint8Array;
}

/** What a (re)started interpreter prints, before its prompt. */
const BANNER =
  '\r\n ____                 _ \r\n|  __|___ ___ ___ _ _|_|___ ___ \r\n|  __|_ -| . |  _| | | |   | . |\r\n' +
  '|____|___|  _|_| |___|_|_|_|___|\r\n          |_| espruino.com\r\n 2v29 (c) 2025 G.Williams\r\n\r\n>';

export class EspruinoStandin {
  /** Every byte the CLI sent, in order. */
  raw = Buffer.alloc(0);
  /** What the CLI asked for, in order. */
  readonly events: StandinEvent[] = [];
  /** The board's Storage. */
  readonly storage = new Map<string, StoredFile>();
  /** Number of TCP connections accepted. */
  connections = 0;
  port = 0;

  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly env: Record<string, unknown>;

  constructor(private readonly options: StandinOptions = {}) {
    const board = options.board ?? 'ESP32';
    const esp32 = board.indexOf('ESP32') === 0;
    this.env = {
      VERSION: options.version ?? '2v29',
      GIT_COMMIT: 'f1a5d1e',
      BOARD: board,
      RAM: esp32 ? 524288 : 81920,
      SERIAL: '24:0a:c4:00:00:01',
      CONSOLE: 'Serial1',
      MODULES: esp32
        ? 'Flash,Storage,heatshrink,fs,net,dgram,http,NetworkJS,Wifi,ESP32,TelnetServer,crypto,neopixel'
        : 'Flash,Storage,heatshrink,net,dgram,http,NetworkJS,Wifi,ESP8266,TelnetServer,crypto,neopixel',
      EXPTR: esp32 ? 1073643536 : 1075838976,
    };
    this.server = net.createServer((socket) => this.accept(socket));
  }

  /** Listens on 127.0.0.1 (a free port); resolves with the port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve(this.port);
      });
    });
  }

  /** Closes the server and every open connection. */
  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The bytes of a Storage file (undefined if it does not exist). */
  file(name: string): Buffer | undefined {
    const f = this.storage.get(name);
    return f ? Buffer.from(f.data) : undefined;
  }

  /** The boot code (`.bootcde`, what E.setBootCode and the CLI's save-on-send write). */
  bootCode(): Buffer | undefined {
    return this.file('.bootcde');
  }

  /** Events of one type. */
  ofType<T extends StandinEvent['type']>(type: T): Array<Extract<StandinEvent, { type: T }>> {
    return this.events.filter((e): e is Extract<StandinEvent, { type: T }> => e.type === type);
  }

  private accept(socket: net.Socket): void {
    this.connections++;
    this.sockets.add(socket);
    let chatter: NodeJS.Timeout | undefined;
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (chatter) clearInterval(chatter);
    });
    socket.on('error', () => undefined); // the CLI exits without closing politely
    let line = ''; // the statement being typed
    let echo = true; // echo for the current line (DLE at its start turns it off)
    let esc = ''; // an escape sequence in progress
    const out = (s: string) => {
      if (!socket.destroyed && !this.options.silent) socket.write(Buffer.from(s, 'latin1'));
    };
    socket.on('data', (chunk: Buffer) => {
      this.raw = Buffer.concat([this.raw, chunk]);
      const text = chunk.toString('latin1');
      for (const ch of text) {
        if (esc) {
          esc += ch;
          if (esc === '\x1b\n') {
            line += '\n'; // Alt-Enter: a newline that does not execute
            esc = '';
          } else if (esc.length > 1 && esc[1] !== '[') {
            esc = ''; // unknown escape: dropped
          } else if (esc.length > 2 && /[A-Za-z]/.test(ch)) {
            esc = ''; // ESC [ n d (line number) and other CSI sequences: dropped
          }
          continue;
        }
        if (ch === '\x1b') {
          esc = ch;
        } else if (ch === '\x03') {
          this.events.push({ type: 'ctrl-c' });
          line = '';
          echo = true;
          out('\r\n>');
        } else if (ch === '\x10' && line === '') {
          echo = false;
        } else if (ch === '\r' || ch === '\n') {
          if (ch === '\n' && line === '' && echo && this.lastWasCR) {
            this.lastWasCR = false;
            continue;
          }
          this.lastWasCR = ch === '\r';
          if (bracketDepth(line) > 0) {
            line += '\n';
            continue;
          }
          const statement = line;
          line = '';
          const wasEcho = echo;
          echo = true;
          if (wasEcho) out('\r\n');
          out(this.execute(statement, wasEcho));
          const c = this.options.chatter;
          if (c && !chatter && this.events.some((e) => e.type === 'load'))
            chatter = setInterval(() => out('\r' + c.text + '\r\n>'), c.every);
        } else {
          line += ch;
          if (echo) out(ch);
        }
      }
    });
  }

  private lastWasCR = false;

  /**
   * Runs one line; returns what the board prints. A line typed with echo ends
   * with its result and the prompt; a line sent after DLE prints only its
   * output (a restart by reset()/load() always ends with a fresh prompt).
   */
  private execute(source: string, echo: boolean): string {
    if (source.trim() === '') {
      this.events.push({ type: 'prompt' });
      return '>';
    }
    let printed = '';
    let result = 'undefined';
    let restarted = false;
    try {
      const p = new Parser(source);
      while (!p.atEnd()) {
        const r = this.statement(p, source);
        printed += r.printed;
        result = r.result;
        restarted = restarted || !!r.restarted;
        p.skipSpace();
        if (p.peek() === ';') p.next();
        p.skipSpace();
      }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.events.push({ type: 'error', statement: source, message });
      return printed + 'Uncaught Error: ' + message + '\r\n' + (echo ? '>' : '');
    }
    if (restarted) return printed + '>';
    return printed + (echo ? '=' + result + '\r\n>' : '');
  }

  private statement(p: Parser, source: string): { printed: string; result: string; restarted?: boolean } {
    const start = p.pos;
    const callee = p.callee();
    const args = p.peek() === '(' ? p.args() : [];
    switch (callee) {
      case 'print': {
        const text = args.map((a) => (a.kind === 'env' ? this.envJSON() : String(a.value ?? ''))).join(' ');
        if (args.some((a) => a.kind === 'env')) this.events.push({ type: 'env' });
        else this.events.push({ type: 'print', text });
        return { printed: text + '\r\n', result: 'undefined' };
      }
      case 'reset':
        this.events.push({ type: 'reset' });
        return { printed: BANNER, result: 'undefined', restarted: true };
      case 'load': {
        const file = args.length ? String(args[0].value) : undefined;
        this.events.push(file === undefined ? { type: 'load' } : { type: 'load', file });
        return { printed: BANNER, result: 'undefined', restarted: true };
      }
      case 'echo':
        this.events.push({ type: 'echo', on: !!args[0]?.value });
        return { printed: '', result: 'undefined' };
      case 'require("Storage").write': {
        const [name, data, offset, size] = args;
        if (!name || typeof name.value !== 'string' || !data || typeof data.value !== 'string')
          throw new Error('Storage.write expects (name, data, offset, size)');
        this.events.push({
          type: 'storage-write',
          name: name.value,
          length: data.value.length,
          offset: offset === undefined ? undefined : Number(offset.value),
          size: size === undefined ? undefined : Number(size.value),
          base64: data.kind === 'atob',
        });
        this.storageWrite(
          name.value,
          Buffer.from(data.value, 'latin1'),
          offset === undefined ? undefined : Number(offset.value),
          size === undefined ? undefined : Number(size.value),
        );
        return { printed: '', result: 'true' };
      }
      case 'E.setBootCode': {
        const code = args[0];
        if (!code || typeof code.value !== 'string') throw new Error('E.setBootCode expects a string');
        const alwaysExec = !!args[1]?.value;
        this.events.push({ type: 'set-boot-code', length: code.value.length, alwaysExec });
        const name = alwaysExec ? '.bootrst' : '.bootcde';
        this.storage.delete('.bootcde');
        this.storage.delete('.bootrst');
        if (code.value.length) this.storageWrite(name, Buffer.from(code.value, 'latin1'), undefined, undefined);
        return { printed: '', result: 'undefined' };
      }
      case 'Modules.addCached':
        this.events.push({ type: 'module', name: String(args[0]?.value) });
        return { printed: '', result: 'undefined' };
      default:
        this.events.push({ type: 'unknown', statement: source.slice(start) });
        throw new Error('Stand-in cannot run ' + JSON.stringify(source.slice(start, start + 60)));
    }
  }

  private envJSON(): string {
    return JSON.stringify(this.env);
  }

  private used(): number {
    let n = 0;
    for (const f of this.storage.values()) n += f.data.length;
    return n;
  }

  /** Storage.write as the board checks it. */
  private storageWrite(name: string, data: Buffer, offset: number | undefined, size: number | undefined): void {
    if (name.length < 1 || name.length > 28) throw new Error('Invalid Storage file name ' + JSON.stringify(name));
    const free = (this.options.storageFree ?? 896 * 1024) - this.used();
    if (!offset) {
      // A new file: of `size` (filled later by offset writes) or of the data's length.
      const length = size ?? data.length;
      if (length === 0) throw new Error('Zero-length files are not allowed');
      if (data.length > length) throw new Error('Too much data for file size');
      const old = this.storage.get(name);
      if (length > free + (old ? old.data.length : 0)) throw new Error('Not enough free space in Storage');
      const file: StoredFile = { data: Buffer.alloc(length, 0xff), written: new Uint8Array(length) };
      data.copy(file.data, 0);
      file.written.fill(1, 0, data.length);
      this.storage.set(name, file);
      return;
    }
    const file = this.storage.get(name);
    if (!file) throw new Error('File ' + JSON.stringify(name) + ' not found for offset write');
    if (offset + data.length > file.data.length) throw new Error('Too much data for file size');
    for (let i = 0; i < data.length; i++) {
      if (file.written[offset + i]) throw new Error('Byte ' + (offset + i) + ' of ' + JSON.stringify(name) + ' written twice');
      file.data[offset + i] = data[i];
      file.written[offset + i] = 1;
    }
  }
}

/** Depth of (, [, { still open in `s` outside strings and comments (0 when the line can run). */
export function bracketDepth(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"' || c === "'" || c === '`') {
      for (i++; i < s.length && s[i] !== c; i++) if (s[i] === '\\') i++;
    } else if (c === '/' && s[i + 1] === '/') {
      while (i < s.length && s[i] !== '\n') i++;
    } else if (c === '/' && s[i + 1] === '*') {
      const end = s.indexOf('*/', i + 2);
      if (end < 0) return depth + 1;
      i = end + 1;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
  }
  return depth;
}

type Arg =
  | { kind: 'string' | 'atob'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'undefined'; value: undefined }
  | { kind: 'env'; value: undefined };

/** Just enough of a JavaScript parser for the statements an upload consists of. */
class Parser {
  pos = 0;
  constructor(private readonly s: string) {}

  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.s.length;
  }
  peek(): string {
    return this.s[this.pos];
  }
  next(): string {
    return this.s[this.pos++];
  }
  skipSpace(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos])) this.pos++;
  }
  expect(c: string): void {
    this.skipSpace();
    if (this.s[this.pos] !== c) throw new Error('Expected ' + JSON.stringify(c) + ' at ' + this.pos + ' in ' + JSON.stringify(this.s.slice(0, 80)));
    this.pos++;
  }

  /** A callee: identifiers joined by dots, with `require("Storage")` allowed as a link. */
  callee(): string {
    this.skipSpace();
    let name = this.ident();
    for (;;) {
      if (name === 'require' && this.peek() === '(') {
        const args = this.args();
        if (args.length !== 1 || args[0].kind !== 'string') throw new Error('Unsupported require()');
        name = 'require(' + JSON.stringify(args[0].value) + ')';
        continue;
      }
      if (this.peek() === '.') {
        this.pos++;
        name += '.' + this.ident();
        continue;
      }
      return name;
    }
  }

  ident(): string {
    const m = /^[A-Za-z_$][\w$]*/.exec(this.s.slice(this.pos));
    if (!m) throw new Error('Expected a name at ' + JSON.stringify(this.s.slice(this.pos, this.pos + 40)));
    this.pos += m[0].length;
    return m[0];
  }

  args(): Arg[] {
    this.expect('(');
    const out: Arg[] = [];
    this.skipSpace();
    if (this.peek() === ')') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.skipSpace();
      const c = this.next();
      if (c === ')') return out;
      if (c !== ',') throw new Error('Expected , or ) in arguments');
    }
  }

  value(): Arg {
    this.skipSpace();
    const c = this.peek();
    if (c === '"' || c === "'") return { kind: 'string', value: this.stringLiteral() };
    const rest = this.s.slice(this.pos);
    const num = /^-?(0x[0-9a-fA-F]+|\d+(\.\d+)?)/.exec(rest);
    if (num) {
      this.pos += num[0].length;
      return { kind: 'number', value: Number(num[0]) };
    }
    if (rest.startsWith('JSON.stringify(process.env)')) {
      this.pos += 'JSON.stringify(process.env)'.length;
      return { kind: 'env', value: undefined };
    }
    const id = this.ident();
    if (id === 'true' || id === 'false') return { kind: 'boolean', value: id === 'true' };
    if (id === 'undefined') return { kind: 'undefined', value: undefined };
    if (id === 'atob') {
      const a = this.args();
      if (a.length !== 1 || a[0].kind !== 'string') throw new Error('atob expects a string');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(a[0].value) || a[0].value.length % 4) throw new Error('Invalid base64');
      return { kind: 'atob', value: Buffer.from(a[0].value, 'base64').toString('latin1') };
    }
    throw new Error('Unsupported value ' + id);
  }

  /** A JavaScript string literal as Espruino's lexer reads it (8-bit chars). */
  stringLiteral(): string {
    const q = this.next();
    let v = '';
    for (;;) {
      if (this.pos >= this.s.length) throw new Error('Unterminated string');
      const c = this.next();
      if (c === q) return v;
      if (c === '\n') throw new Error('Newline in string');
      if (c !== '\\') {
        v += c;
        continue;
      }
      const e = this.next();
      switch (e) {
        case 'n': v += '\n'; break;
        case 'r': v += '\r'; break;
        case 't': v += '\t'; break;
        case 'b': v += '\b'; break;
        case 'f': v += '\f'; break;
        case 'v': v += '\v'; break;
        case 'x': v += String.fromCharCode(this.hex(2)); break;
        case 'u': {
          const code = this.hex(4);
          if (code > 255) throw new Error('\\u escape above 255 on a board without Unicode');
          v += String.fromCharCode(code);
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            // Octal, up to three digits (the CLI writes \xHH when a digit follows).
            let o = e;
            while (o.length < 3 && this.peek() >= '0' && this.peek() <= '7') o += this.next();
            const code = parseInt(o, 8);
            if (code > 255) throw new Error('Octal escape above 255');
            v += String.fromCharCode(code);
          } else v += e; // \\ \" \' and any other escaped char
      }
    }
  }

  hex(n: number): number {
    const h = this.s.slice(this.pos, this.pos + n);
    if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) throw new Error('Bad hex escape');
    this.pos += n;
    return parseInt(h, 16);
  }
}
