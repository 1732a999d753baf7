/**
 * Shared helpers for the virtual-board tests: board factory with defaults,
 * temporary flash files, bounded waits on real timers, and a raw TCP client
 * that sends latin1 bytes exactly as given.
 */
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { createBoard, createRadio, type VirtualBoard } from '../../sim/espruino';
import type { BoardOptions, VirtualAp } from '../../sim/espruino';

let fileCounter = 0;

/** A fresh path in the OS temp dir for a flash image (removed by {@link cleanupFlashFiles}). */
export function tmpFlashFile(): string {
  return path.join(os.tmpdir(), `espruino-sim-test-${process.pid}-${Date.now()}-${fileCounter++}.json`);
}

/** Removes the temp flash files created by this process. */
export function cleanupFlashFiles(): void {
  const prefix = `espruino-sim-test-${process.pid}-`;
  for (const f of fs.readdirSync(os.tmpdir())) if (f.startsWith(prefix)) fs.rmSync(path.join(os.tmpdir(), f), { force: true });
}

/** The default radio: one WPA2 home network. */
export const HOME: VirtualAp = { ssid: 'home', password: 'secret123', rssi: -50, channel: 6 };

/** Creates a board with test defaults (ephemeral ports, one AP). */
export function makeBoard(opts: Partial<BoardOptions> = {}): VirtualBoard {
  return createBoard({
    chip: 'ESP32',
    radio: opts.radio ?? createRadio([{ ...HOME }]),
    httpPort: 0,
    dnsPort: 0,
    ...opts,
  });
}

/** Polls `pred` on real timers until true; rejects after `ms`. */
export async function waitFor(pred: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out waiting for condition');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Real-time sleep. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Sends raw latin1 bytes to 127.0.0.1:port and resolves with everything received until close. */
export function rawRequest(port: number, bytes: string, ms = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no close within ${ms} ms; got ${JSON.stringify(out)}`));
    }, ms);
    sock.on('connect', () => sock.write(Buffer.from(bytes, 'latin1')));
    sock.on('data', (d) => (out += d.toString('latin1')));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** Lines the device printed that start with `prefix`, prefix removed. */
export function printed(board: VirtualBoard, prefix: string): string[] {
  return board.console.filter((l) => l.startsWith(prefix)).map((l) => l.substr(prefix.length));
}
