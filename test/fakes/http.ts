/**
 * FakeHttp: an in-memory HttpPort. Tests open requests against the handler
 * that the code under test registered with `listen`, feed body chunks, and read
 * what the handler wrote: status, headers, body, chunks and protocol
 * violations (write after end, headers twice, ...).
 *
 * Drain: with `autoDrain` (the default) every `write` is followed at once by a
 * drain callback (the synchronous worst case for re-entrancy); with
 * `autoDrain = false` the test calls `exchange.drain()` to let the next chunk
 * go, and can check that only one chunk is ever pending.
 */

import { HttpPort, HttpRequest, HttpResponse, HttpServer } from '../../lib/ports';

/** What a test sends. */
export interface FakeRequestSpec {
  /** @default 'GET' */
  method?: string;
  /** Path and query, a byte string. */
  url: string;
  /** Header fields. */
  headers?: { [name: string]: string };
  /** Body chunks, fed one by one after the handler returns. */
  body?: string[];
  /** Signal the end of the request after the chunks. @default true */
  end?: boolean;
}

/** One request/response pair as seen by the test. */
export interface FakeExchange {
  /** Status written by `writeHead`, or null. */
  status: number | null;
  /** Headers written by `writeHead`. */
  headers: { [name: string]: string };
  /** Everything written (writes and the end chunk), concatenated. */
  body: string;
  /** Each `write`/`end` chunk, in order (empty end chunks left out). */
  chunks: string[];
  /** `end` was called. */
  ended: boolean;
  /** Protocol violations by the code under test. */
  violations: string[];
  /** Feeds a body chunk to the handler. */
  data(chunk: string): void;
  /** Signals the end of the request. */
  end(): void;
  /** Fires the response's drain listeners once. */
  drain(): void;
  /** Writes since the last drain (for streaming checks). */
  pending: number;
}

/** In-memory HttpPort. */
export class FakeHttp implements HttpPort {
  /** Port passed to `listen`, null when not listening. */
  port: number | null = null;
  /** Number of `listen` calls. */
  listens = 0;
  /** Number of `close` calls. */
  closes = 0;
  /** Fire drain right after each write. */
  autoDrain = true;
  /** Shared timeline: `end <status>` entries; tests may push their own (e.g. sent events). */
  timeline: string[] = [];
  /** Every exchange opened. */
  exchanges: FakeExchange[] = [];
  private handler: ((req: HttpRequest, res: HttpResponse) => void) | null = null;

  listen(port: number, handler: (req: HttpRequest, res: HttpResponse) => void): HttpServer {
    if (this.handler) throw new Error('already listening');
    this.port = port;
    this.handler = handler;
    this.listens++;
    return {
      close: () => {
        this.closes++;
        this.handler = null;
        this.port = null;
      }
    };
  }

  /** True while a handler is registered. */
  get listening(): boolean {
    return this.handler !== null;
  }

  /** Opens a request: runs the handler, then feeds `spec.body` and the end (unless `end: false`). */
  request(spec: FakeRequestSpec): FakeExchange {
    if (!this.handler) throw new Error('not listening');
    const dataFns: Array<(c: string) => void> = [];
    const endFns: Array<() => void> = [];
    const drainFns: Array<() => void> = [];
    const self = this;
    const ex: FakeExchange = {
      status: null,
      headers: {},
      body: '',
      chunks: [],
      ended: false,
      violations: [],
      pending: 0,
      data(chunk: string) {
        for (const f of dataFns.slice()) f(chunk);
      },
      end() {
        for (const f of endFns.slice()) f();
      },
      drain() {
        ex.pending = 0;
        for (const f of drainFns.slice()) f();
      }
    };
    const req: HttpRequest = {
      method: spec.method || 'GET',
      url: spec.url,
      headers: spec.headers || {},
      on(event, fn) {
        if (event === 'data') dataFns.push(fn as (chunk: string) => void);
        else endFns.push(fn as () => void);
      }
    };
    const res: HttpResponse = {
      writeHead(status, headers) {
        if (ex.status !== null) ex.violations.push('writeHead twice');
        if (ex.ended) ex.violations.push('writeHead after end');
        if (typeof status !== 'number' || status < 100 || status > 599) ex.violations.push('bad status ' + status);
        ex.status = status;
        ex.headers = Object.assign({}, headers);
      },
      write(chunk) {
        if (ex.status === null) ex.violations.push('write before writeHead');
        if (ex.ended) ex.violations.push('write after end');
        if (typeof chunk !== 'string') ex.violations.push('non-string chunk');
        ex.body += chunk;
        ex.chunks.push(chunk);
        ex.pending++;
        if (self.autoDrain) ex.drain();
      },
      end(chunk?: string) {
        if (ex.status === null) ex.violations.push('end before writeHead');
        if (ex.ended) ex.violations.push('end twice');
        ex.ended = true;
        if (chunk !== undefined && chunk !== '') {
          ex.body += chunk;
          ex.chunks.push(chunk);
        }
        self.timeline.push('end ' + ex.status);
      },
      on(_event, fn) {
        drainFns.push(fn);
      }
    };
    this.exchanges.push(ex);
    this.handler(req, res);
    for (const c of spec.body || []) ex.data(c);
    if (spec.end !== false) ex.end();
    return ex;
  }
}
