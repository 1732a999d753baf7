import { strict as assert } from 'assert';
import sinon from 'sinon';
import {
  createCloud,
  CloudClient,
  CloudOptions,
  CONNECT_TIMEOUT_MS,
  LOGIN_TIMEOUT_MS,
  pemBody,
  RECV_GRACE_MS,
  socketReason
} from '../../lib/cloud';
import { CloudEvent, CloudTarget } from '../../lib/types';
import { FakeNet, FakeSocket } from '../fakes/net';
import { timerClock } from '../fakes/clock';
import { bytes, decodeFrames, encode, encodeResponse, fields, hex, toHex, WireFrame } from './wire';

const TOKEN = 'Ab3d_efGhij-klmnopqrstuvwxyz0123';
const TARGET: CloudTarget = { host: 'blynk.cloud', port: 443, tls: true, token: TOKEN };
const INFO = { fwVer: '0.2.0', fwType: 'TMPL1234', tmplId: 'TMPL5678', build: 'Feb 2 2025 10:00:00', dev: 'ESP8266' };

interface Rig {
  clock: sinon.SinonFakeTimers;
  net: FakeNet;
  cloud: CloudClient;
  /** Every event passed to `onEvent`, in order. */
  events: CloudEvent[];
  /** Every `onWrite(pin, values)` call, in order. */
  writes: Array<[number, string[]]>;
  /** Run by `onEvent` after recording each event. */
  hooks: Array<(ev: CloudEvent) => void>;
  logs: string[];
}

let rig: Rig | undefined;

function teardown(): void {
  if (!rig) return;
  rig.cloud.disconnect();
  rig.clock.restore();
  rig = undefined;
}

function setup(extra: Partial<CloudOptions> = {}): Rig {
  teardown();
  const clock = sinon.useFakeTimers();
  const net = new FakeNet();
  const logs: string[] = [];
  const events: CloudEvent[] = [];
  const writes: Array<[number, string[]]> = [];
  const hooks: Array<(ev: CloudEvent) => void> = [];
  const cloud = createCloud({
    net,
    clock: timerClock,
    info: INFO,
    log: (l) => logs.push(l),
    onEvent: (e) => {
      events.push(e);
      for (const h of hooks) h(e);
    },
    onWrite: (pin, values) => writes.push([pin, values]),
    ...extra
  });
  const r = { clock, net, cloud, events, writes, hooks, logs };
  rig = r;
  return r;
}

/** Connects, accepts and answers the login with `status`; returns the socket. */
function login(status = 200, target: CloudTarget = TARGET): FakeSocket {
  const r = rig as Rig;
  r.cloud.connect(target);
  const s = r.net.last;
  s.accept();
  s.receive(encodeResponse(1, status));
  return s;
}

function frames(s: FakeSocket): WireFrame[] {
  return decodeFrames(s.written());
}

function lastFrame(s: FakeSocket): WireFrame {
  const f = frames(s);
  return f[f.length - 1];
}

describe('cloud client', () => {
  afterEach(teardown);

  describe('login', () => {
    it('sends HW_LOGIN id 1 with the token as soon as the connection is up', () => {
      const { net, cloud } = setup();
      cloud.connect(TARGET);
      assert.deepEqual([net.last.host, net.last.port, net.last.tls], ['blynk.cloud', 443, true]);
      assert.equal(net.last.writes.length, 0);
      net.last.accept();
      assert.equal(toHex(net.last.written()), toHex(encode(29, 1, TOKEN)));
    });

    it('goes online on 200: info message first, then the online event', () => {
      const { net, cloud, events, hooks } = setup();
      cloud.connect(TARGET);
      net.last.accept();
      let framesAtEvent = -1;
      hooks.push(() => (framesAtEvent = frames(net.last).length));
      assert.equal(cloud.isOnline(), false);
      net.last.receive(encodeResponse(1, 200));
      assert.deepEqual(events, [{ type: 'online' }]);
      assert.equal(framesAtEvent, 2, 'the info message left before the event');
      assert.equal(cloud.isOnline(), true);
    });

    it('treats status 4 (already registered) as OK', () => {
      const { cloud, events } = setup();
      login(4);
      assert.deepEqual(events, [{ type: 'online' }]);
      assert.equal(cloud.isOnline(), true);
    });

    it('sends the info keys in contract order with tmpl last', () => {
      setup({ heartbeatS: 25, buffIn: 2048 });
      const s = login();
      const info = frames(s)[1];
      assert.equal(info.type, 17);
      assert.equal(info.id, 2);
      assert.deepEqual(fields(info), [
        'mcu', '0.2.0', 'fw-type', 'TMPL1234', 'build', 'Feb 2 2025 10:00:00', 'blynk', '1.3.2',
        'h-beat', '25', 'buff-in', '2048', 'dev', 'ESP8266', 'tmpl', 'TMPL5678'
      ]);
    });

    it('reports status 9 as rejected and closes the socket', () => {
      const { cloud, events, clock } = setup();
      const s = login(9);
      assert.deepEqual(events, [{ type: 'rejected', status: 9 }]);
      assert.equal(s.closed, true);
      assert.equal(cloud.isOnline(), false);
      assert.equal(frames(s).length, 1, 'no info message');
      clock.tick(600000);
      assert.equal(events.length, 1);
    });

    it('reports other statuses as rejected with that status and closes', () => {
      for (const status of [5, 19, 2]) {
        const { events } = setup();
        const s = login(status);
        assert.deepEqual(events, [{ type: 'rejected', status }]);
        assert.equal(s.closed, true);
        teardown();
      }
    });

    it('times out the login after 6 s without a reply', () => {
      const { net, cloud, events, clock } = setup();
      cloud.connect(TARGET);
      net.last.accept();
      clock.tick(LOGIN_TIMEOUT_MS - 1);
      assert.deepEqual(events, []);
      clock.tick(1);
      assert.equal(LOGIN_TIMEOUT_MS, 6000);
      assert.deepEqual(events, [{ type: 'offline', reason: 'timeout' }]);
      assert.equal(net.last.closed, true);
      clock.tick(600000);
      assert.equal(events.length, 1);
    });

    it('ignores a late login reply after the timeout', () => {
      const { net, cloud, events, clock } = setup();
      cloud.connect(TARGET);
      const s = net.last;
      s.accept();
      clock.tick(LOGIN_TIMEOUT_MS);
      s.receive(encodeResponse(1, 200));
      assert.deepEqual(events, [{ type: 'offline', reason: 'timeout' }]);
      assert.equal(cloud.isOnline(), false);
    });

    it('can connect again after a failed attempt; the new login uses id 1 again', () => {
      const { net, cloud, events } = setup();
      login(9);
      const s2 = login(200);
      assert.equal(net.sockets.length, 2);
      assert.equal(frames(s2)[0].id, 1);
      assert.deepEqual(events, [{ type: 'rejected', status: 9 }, { type: 'online' }]);
      assert.equal(cloud.isOnline(), true);
    });
  });

  describe('heartbeat', () => {
    it('sends a PING after h-beat seconds of silence, not before', () => {
      const { clock } = setup();
      const s = login();
      const before = frames(s).length;
      clock.tick(40000 - 1);
      assert.equal(frames(s).length, before);
      clock.tick(1);
      const f = lastFrame(s);
      assert.deepEqual([f.type, f.id, f.len], [6, 3, 0]);
    });

    it('pings at most every 6 s while nothing is received, and drops after h-beat + 18 s', () => {
      const { clock, events } = setup();
      const s = login();
      const pingTimes: number[] = [];
      const t0 = Date.now();
      for (let t = 0; t < 60000; t += 500) {
        const n = frames(s).filter((f) => f.type === 6).length;
        clock.tick(500);
        if (frames(s).filter((f) => f.type === 6).length > n) pingTimes.push(Date.now() - t0);
      }
      assert.deepEqual(pingTimes, [40000, 46000, 52000]);
      assert.deepEqual(events, [{ type: 'online' }, { type: 'offline', reason: 'timeout' }]);
      assert.equal(s.closed, true);
    });

    it('drops exactly h-beat + 18 s after the last received byte', () => {
      const { clock, events } = setup({ heartbeatS: 10 });
      const s = login();
      clock.tick(5000);
      s.receive(encode(6, 77)); // server PING: counts as received
      clock.tick(10000 + RECV_GRACE_MS - 1);
      assert.equal(events.length, 1);
      clock.tick(1);
      assert.deepEqual(events[1], { type: 'offline', reason: 'timeout' });
    });

    it('keeps the link while the server answers PINGs', () => {
      const { clock, events } = setup();
      const s = login();
      let answered = 0;
      for (let i = 0; i < 600; i++) {
        clock.tick(1000);
        const fs = frames(s);
        const last = fs[fs.length - 1];
        if (last.type === 6 && fs.length > answered) {
          answered = fs.length;
          s.receive(encodeResponse(last.id, 200));
        }
      }
      assert.deepEqual(events, [{ type: 'online' }]);
      const pings = frames(s).filter((f) => f.type === 6);
      assert.equal(pings.length, 15, 'one PING every 40 s over 10 minutes');
    });

    it('sends no PING while the server keeps talking and the device keeps writing', () => {
      const { clock, cloud, events } = setup();
      const s = login();
      for (let i = 0; i < 20; i++) {
        clock.tick(20000);
        s.receive(encode(20, 100 + i, ['vw', 1, String(i)]));
        cloud.virtualWrite(2, i);
      }
      assert.equal(frames(s).filter((f) => f.type === 6).length, 0);
      assert.deepEqual(events, [{ type: 'online' }]);
    });

    it('pings when the device is silent even though the server talks', () => {
      const { clock } = setup();
      const s = login();
      s.clearWritten();
      for (let i = 0; i < 8; i++) {
        clock.tick(5000);
        s.receive(encode(20, 100 + i, ['vw', 1, String(i)]));
      }
      assert.deepEqual(frames(s).map((f) => f.type), [6]);
    });

    it('answers a server PING with RESPONSE 200 and the same id', () => {
      setup();
      const s = login();
      s.clearWritten();
      s.receive(hex('06 12 34 00 00'));
      assert.equal(toHex(s.written()), '00 12 34 00 c8');
    });
  });

  describe('redirect', () => {
    it('reconnects to host and port at once with the same token, without events in between', () => {
      const { net, cloud, events } = setup();
      cloud.connect(TARGET);
      const s1 = net.last;
      s1.accept();
      s1.receive(encode(41, 2, ['fra1.blynk.cloud', 8443]));
      assert.equal(s1.closed, true);
      assert.equal(net.sockets.length, 2);
      const s2 = net.last;
      assert.deepEqual([s2.host, s2.port, s2.tls], ['fra1.blynk.cloud', 8443, true]);
      assert.deepEqual(events, []);
      s2.accept();
      assert.equal(toHex(s2.written()), toHex(encode(29, 1, TOKEN)));
      s2.receive(encodeResponse(1, 200));
      assert.deepEqual(events, [{ type: 'online' }]);
    });

    it('uses 443 when the redirect has no port and TLS is on, 80 without TLS', () => {
      const { net, cloud } = setup();
      cloud.connect(TARGET);
      net.last.accept();
      net.last.receive(encode(41, 2, 'sgp1.blynk.cloud'));
      assert.deepEqual([net.last.host, net.last.port, net.last.tls], ['sgp1.blynk.cloud', 443, true]);
      cloud.connect({ host: 'blynk.cloud', port: 80, tls: false, token: TOKEN });
      net.last.accept();
      net.last.receive(encode(41, 2, 'ny3.blynk.cloud'));
      assert.deepEqual([net.last.host, net.last.port, net.last.tls], ['ny3.blynk.cloud', 80, false]);
    });

    it('reports one offline when the redirected connection fails (after its port fallback)', () => {
      const { net, cloud, events } = setup();
      cloud.connect(TARGET);
      net.last.accept();
      net.last.receive(encode(41, 2, 'fra1.blynk.cloud'));
      net.last.refuse('refused');
      assert.deepEqual([net.last.host, net.last.port], ['fra1.blynk.cloud', 9443]);
      net.last.refuse('refused');
      assert.deepEqual(events, [{ type: 'offline', reason: 'refused' }]);
      assert.equal(net.sockets.length, 3);
    });

    it('a redirect while online re-logs in elsewhere without a second online event', () => {
      const { net, cloud, events } = setup();
      login();
      net.last.receive(encode(41, 9, ['blr1.blynk.cloud', '443']));
      assert.equal(cloud.isOnline(), false);
      assert.equal(cloud.virtualWrite(1, 1), false);
      net.last.accept();
      net.last.receive(encodeResponse(1, 200));
      assert.equal(cloud.isOnline(), true);
      assert.deepEqual(events, [{ type: 'online' }]);
      assert.equal(frames(net.last)[1].type, 17, 'info message sent to the new server');
    });

    it('ignores a redirect with an empty host', () => {
      const { net, cloud, events } = setup();
      login();
      net.last.receive(encode(41, 9, ''));
      assert.equal(net.sockets.length, 1);
      assert.equal(cloud.isOnline(), true);
      assert.deepEqual(events, [{ type: 'online' }]);
    });
  });

  describe('port fallback', () => {
    it('443 refused → 9443 on the same host with TLS, same attempt', () => {
      const { net, cloud, events } = setup();
      cloud.connect(TARGET);
      net.last.refuse('refused');
      assert.deepEqual([net.last.host, net.last.port, net.last.tls], ['blynk.cloud', 9443, true]);
      assert.deepEqual(events, []);
      net.last.accept();
      net.last.receive(encodeResponse(1, 200));
      assert.deepEqual(events, [{ type: 'online' }]);
    });

    it('80 refused → 8080 without TLS', () => {
      const { net, cloud } = setup();
      cloud.connect({ host: 'blynk.cloud', port: 80, tls: false, token: TOKEN });
      net.last.refuse('refused');
      assert.deepEqual([net.last.port, net.last.tls], [8080, false]);
    });

    it('both ports refused → exactly one offline', () => {
      const { net, cloud, events, clock } = setup();
      cloud.connect(TARGET);
      net.last.refuse('refused');
      net.last.refuse('refused');
      clock.tick(100000);
      assert.equal(net.sockets.length, 2);
      assert.deepEqual(events, [{ type: 'offline', reason: 'refused' }]);
    });

    it('no fallback for other ports', () => {
      const { net, cloud, events } = setup();
      cloud.connect({ ...TARGET, port: 8443 });
      net.last.refuse('refused');
      assert.equal(net.sockets.length, 1);
      assert.deepEqual(events, [{ type: 'offline', reason: 'refused' }]);
    });

    it('no fallback after a DNS failure', () => {
      const { net, cloud, events } = setup();
      cloud.connect(TARGET);
      net.last.refuse('dns');
      assert.equal(net.sockets.length, 1);
      assert.deepEqual(events, [{ type: 'offline', reason: 'dns' }]);
    });

    it('no fallback after a TLS failure (the TCP connection worked)', () => {
      const { net, cloud, events } = setup();
      cloud.connect(TARGET);
      net.last.refuse('tls');
      assert.equal(net.sockets.length, 1);
      assert.deepEqual(events, [{ type: 'offline', reason: 'tls' }]);
    });

    it('no fallback once connected: a drop after connect is offline closed', () => {
      const { net, cloud, events } = setup();
      cloud.connect(TARGET);
      net.last.accept();
      net.last.fail('ECONNRESET');
      assert.equal(net.sockets.length, 1);
      assert.deepEqual(events, [{ type: 'offline', reason: 'closed' }]);
    });

    it('a connection that never comes up falls back after CONNECT_TIMEOUT_MS, then times out', () => {
      const { net, cloud, events, clock } = setup();
      cloud.connect(TARGET);
      clock.tick(CONNECT_TIMEOUT_MS - 1);
      assert.equal(net.sockets.length, 1);
      clock.tick(1);
      assert.equal(net.sockets[0].closed, true);
      assert.equal(net.last.port, 9443);
      clock.tick(CONNECT_TIMEOUT_MS);
      assert.deepEqual(events, [{ type: 'offline', reason: 'timeout' }]);
      assert.ok(2 * CONNECT_TIMEOUT_MS < 50000, 'both tries fit in the machine’s 50 s attempt');
    });

    it('maps socket error texts to reasons: unknown ones to closed', () => {
      for (const [given, want] of [['connection reset', 'closed'], ['weird', 'closed'], ['timeout', 'timeout'], ['no connection', 'refused'], ['not found', 'dns']]) {
        const { net, cloud, events } = setup();
        cloud.connect({ ...TARGET, port: 1234 });
        net.last.refuse(given);
        assert.deepEqual(events, [{ type: 'offline', reason: want }], given);
        teardown();
      }
    });

    it('a peer close while online is offline closed', () => {
      const { net, events } = setup();
      login();
      net.last.peerClose();
      assert.deepEqual(events, [{ type: 'online' }, { type: 'offline', reason: 'closed' }]);
    });
  });

  describe('virtual pins', () => {
    it('delivers vw from the cloud to onWrite with byte-string values', () => {
      const { writes: got } = setup();
      const s = login();
      s.clearWritten();
      s.receive(encode(20, 5, ['vw', 12, 'h\u00e9', '', '3']));
      s.receive(encode(20, 6, ['vw', 0]));
      assert.deepEqual(got, [[12, [bytes('h\u00e9'), '', '3']], [0, []]]);
      assert.equal(s.written().length, 0, 'a vw is not answered');
    });

    it('calls onWrite once per vw', () => {
      const calls: number[] = [];
      setup({ onWrite: (pin) => calls.push(pin) });
      const s = login();
      s.receive(Buffer.concat([encode(20, 5, ['vw', 1, 'a']), encode(20, 6, ['vw', 2, 'b'])]));
      assert.deepEqual(calls, [1, 2]);
    });

    it('without onWrite a vw is dropped silently and the link stays up', () => {
      const { cloud, events } = setup({ onWrite: undefined });
      const s = login();
      s.clearWritten();
      assert.doesNotThrow(() => s.receive(encode(20, 5, ['vw', 1, 'a'])));
      assert.equal(s.written().length, 0);
      assert.equal(cloud.isOnline(), true);
      assert.deepEqual(events, [{ type: 'online' }]);
    });

    it('a throwing onWrite does not escape the socket callback; later frames still count', () => {
      const got: number[] = [];
      const { logs, cloud } = setup({
        onWrite: (pin) => {
          got.push(pin);
          if (pin === 1) throw new Error('product bug');
        }
      });
      const s = login();
      s.clearWritten();
      assert.doesNotThrow(() => s.receive(Buffer.concat([encode(20, 5, ['vw', 1, 'a']), encode(20, 6, ['vw', 2, 'b']), encode(6, 7)])));
      assert.deepEqual(got, [1, 2]);
      assert.equal(toHex(s.written()), '00 00 07 00 c8', 'the PING after it is answered');
      assert.ok(logs.some((l) => l.includes('product bug')));
      assert.equal(cloud.isOnline(), true);
    });

    it('a throwing onEvent does not escape the socket callback', () => {
      const seen: CloudEvent[] = [];
      const { net, cloud, logs } = setup({
        onEvent: (e) => {
          seen.push(e);
          throw new Error('machine bug');
        }
      });
      cloud.connect(TARGET);
      net.last.accept();
      assert.doesNotThrow(() => net.last.receive(encodeResponse(1, 200)));
      assert.equal(cloud.isOnline(), true);
      assert.doesNotThrow(() => net.last.receive(encode(17, 3, ['dbg', 'reboot'])));
      assert.doesNotThrow(() => net.last.peerClose());
      assert.deepEqual(seen, [{ type: 'online' }, { type: 'command', command: 'reboot' }, { type: 'offline', reason: 'closed' }]);
      assert.equal(logs.filter((l) => l.includes('machine bug')).length, 3);
    });

    it('writes vw with UTF-8 byte counts, arrays as several values, numbers as text', () => {
      const { cloud } = setup();
      const s = login();
      s.clearWritten();
      assert.equal(cloud.virtualWrite(3, bytes('h\u00e9llo \u2713')), true);
      assert.equal(cloud.virtualWrite(4, [1.5, 'a', -2]), true);
      assert.equal(cloud.virtualWrite(5, 42), true);
      assert.equal(
        toHex(s.written()),
        toHex(Buffer.concat([
          hex('14 00 03 00 0f 76 77 00 33 00 68 c3 a9 6c 6c 6f 20 e2 9c 93'),
          encode(20, 4, ['vw', 4, '1.5', 'a', '-2']),
          encode(20, 5, ['vw', 5, '42'])
        ]))
      );
    });

    it('returns false and sends nothing while offline', () => {
      const { net, cloud } = setup();
      assert.equal(cloud.virtualWrite(1, 1), false);
      cloud.connect(TARGET);
      net.last.accept();
      assert.equal(cloud.virtualWrite(1, 1), false, 'not before the login reply');
      assert.equal(frames(net.last).length, 1);
      net.last.receive(encodeResponse(1, 200));
      assert.equal(cloud.virtualWrite(1, 1), true);
      cloud.disconnect();
      assert.equal(cloud.virtualWrite(1, 1), false);
      assert.deepEqual(net.last.lateWrites, []);
    });

    it('syncVirtual sends HARDWARE_SYNC vr with the pins', () => {
      const { cloud } = setup();
      const s = login();
      s.clearWritten();
      cloud.syncVirtual([1, 20]);
      assert.equal(toHex(s.written()), toHex(encode(16, 3, ['vr', 1, 20])));
    });

    it('answers an invalid vw pin with RESPONSE 11', () => {
      setup();
      const s = login();
      s.clearWritten();
      s.receive(encode(20, 0x0203, ['vw', 'x', '1']));
      assert.equal(toHex(s.written()), '00 02 03 00 0b');
    });

    it('answers other HARDWARE sub-commands with RESPONSE 2 and the same id', () => {
      const { cloud, events } = setup();
      const s = login();
      s.clearWritten();
      s.receive(encode(20, 0x0102, ['dw', '5', '1']));
      s.receive(encode(20, 0x0103, ['vr', '5']));
      assert.equal(toHex(s.written()), '00 01 02 00 02 00 01 03 00 02');
      assert.equal(cloud.isOnline(), true);
      assert.equal(events.length, 1);
    });

    it('answers unknown message types with RESPONSE 2', () => {
      setup();
      const s = login();
      s.clearWritten();
      s.receive(encode(15, 0x0a0b, ['1', 'vw', '1']));
      assert.equal(toHex(s.written()), '00 0a 0b 00 02');
    });

    it('wraps msg ids 65535 → 1 across a long session, never 0', () => {
      const { cloud } = setup();
      const s = login();
      for (let i = 0; i < 65536; i++) cloud.virtualWrite(1, 0);
      const ids = frames(s).map((f) => f.id);
      assert.equal(ids[0], 1);
      assert.equal(ids[1], 2);
      assert.equal(ids[65534], 65535);
      assert.equal(ids[65535], 1);
      assert.equal(ids[65536], 2);
      assert.ok(!ids.includes(0));
    });
  });

  describe('INTERNAL', () => {
    it('emits dbg console commands', () => {
      const { events } = setup();
      const s = login();
      s.clearWritten();
      s.receive(encode(17, 3, ['dbg', 'reboot']));
      s.receive(encode(17, 4, ['dbg', 'config start']));
      s.receive(encode(17, 5, ['dbg', 'config erase']));
      assert.deepEqual(events.slice(1), [
        { type: 'command', command: 'reboot' },
        { type: 'command', command: 'config start' },
        { type: 'command', command: 'config erase' }
      ]);
      assert.equal(s.written().length, 0);
    });

    it('answers an unknown dbg command with RESPONSE 2 and no event', () => {
      const { events } = setup();
      const s = login();
      s.clearWritten();
      s.receive(encode(17, 7, ['dbg', 'format c:']));
      assert.equal(events.length, 1);
      assert.equal(toHex(s.written()), '00 00 07 00 02');
    });

    it('hands Blynk.Air\'s ota command on as an ota event with its URL, without answering or logging the URL', () => {
      const { events, logs, cloud } = setup();
      const s = login();
      s.clearWritten();
      s.receive(encode(17, 0x4242, ['ota', 'https://fra1.blynk.cloud/ota?token=secret']));
      assert.equal(s.written().length, 0);
      assert.deepEqual(events[1], { type: 'ota', url: 'https://fra1.blynk.cloud/ota?token=secret' });
      assert.ok(!logs.some((l) => l.includes('secret')));
      assert.equal(cloud.isOnline(), true);
    });

    it('answers an ota command without a URL with RESPONSE 2', () => {
      const { events, logs } = setup();
      const s = login();
      s.clearWritten();
      s.receive(encode(17, 0x4243, ['ota']));
      assert.equal(toHex(s.written()), '00 42 43 00 02');
      assert.ok(logs.some((l) => /ota without a URL/.test(l)));
      assert.equal(events.length, 1);
    });

    it('sends an event (EVENT_LOG 64, name NUL description) through virtualWrite\'s string form', () => {
      const { cloud } = setup();
      const s = login();
      s.clearWritten();
      assert.equal(cloud.virtualWrite('sys_ota' as unknown as number, 'OTA started'), true);
      const w = s.written();
      assert.equal(w[0], 64);
      assert.equal(w.subarray(5).toString('latin1'), 'sys_ota\0OTA started');
      assert.equal((w[3] << 8) | w[4], 'sys_ota\0OTA started'.length);
    });

    it('tolerates rtc, utc and meta without answering', () => {
      const { events, cloud } = setup();
      const s = login();
      s.clearWritten();
      s.receive(encode(17, 8, ['rtc', '1700000000']));
      s.receive(encode(17, 9, ['utc', '1700000000', '3600']));
      s.receive(encode(17, 10, ['meta', 'Location', 'Kitchen']));
      assert.equal(s.written().length, 0);
      assert.equal(events.length, 1);
      assert.equal(cloud.isOnline(), true);
    });

    it('setMeta sends INTERNAL meta set while online only', () => {
      const { net, cloud } = setup();
      cloud.setMeta('Hotspot Name', 'x');
      cloud.connect(TARGET);
      net.last.accept();
      cloud.setMeta('Hotspot Name', 'x');
      assert.equal(frames(net.last).length, 1);
      net.last.receive(encodeResponse(1, 200));
      net.last.clearWritten();
      cloud.setMeta('Hotspot Name', bytes('Blynk Caf\u00e9-0W8N'));
      assert.equal(toHex(net.last.written()), toHex(encode(17, 3, ['meta', 'set', 'Hotspot Name', 'Blynk Caf\u00e9-0W8N'])));
    });
  });

  describe('dropping the link', () => {
    it('drops the link when a body exceeds buff-in', () => {
      const { events, cloud } = setup({ buffIn: 64 });
      const s = login();
      s.receive(encode(20, 3, Buffer.alloc(64, 0x30)));
      assert.equal(cloud.isOnline(), true);
      s.receive(hex('14 00 04 00 41'));
      assert.deepEqual(events, [{ type: 'online' }, { type: 'offline', reason: 'oversize' }]);
      assert.equal(s.closed, true);
      assert.equal(cloud.isOnline(), false);
    });

    it('drops the link on msg id 0 (corrupt stream)', () => {
      const { events } = setup();
      const s = login();
      s.receive(hex('14 00 00 00 00'));
      assert.deepEqual(events, [{ type: 'online' }, { type: 'offline', reason: 'protocol' }]);
      assert.equal(s.closed, true);
    });

    it('ignores the rest of a chunk after a drop', () => {
      const { events, writes } = setup();
      const s = login();
      s.receive(Buffer.concat([encode(20, 3, ['vw', 1, 'a']), hex('06 00 00 00 00'), encode(20, 4, ['vw', 2, 'b'])]));
      assert.deepEqual(writes.map((w) => w[0]), [1]);
      assert.equal(events.length, 2);
    });
  });

  describe('stale sockets and disconnect', () => {
    it('ignores every callback of a socket replaced by a fallback', () => {
      const { net, cloud, events } = setup();
      cloud.connect(TARGET);
      const old = net.last;
      old.refuse('refused');
      const cur = net.last;
      old.fn(old);
      old.fn(encodeResponse(1, 200).toString('latin1'));
      old.fn({ code: -1, message: 'dns' });
      old.fn(true);
      assert.deepEqual(events, []);
      assert.equal(cloud.isOnline(), false);
      assert.deepEqual(old.lateWrites, []);
      cur.accept();
      cur.receive(encodeResponse(1, 200));
      assert.deepEqual(events, [{ type: 'online' }]);
    });

    it('ignores callbacks of the socket of a previous attempt', () => {
      const { net, cloud, events } = setup();
      const s1 = login();
      cloud.connect(TARGET);
      assert.equal(s1.closed, true);
      s1.fn(encode(17, 3, ['dbg', 'reboot']).toString('latin1'));
      s1.fn({ code: -1, message: 'refused' });
      s1.fn(true);
      assert.deepEqual(events, [{ type: 'online' }]);
      assert.equal(net.sockets.length, 2);
    });

    it('ignores a redirected-away socket', () => {
      const { net, cloud, events } = setup();
      cloud.connect(TARGET);
      const s1 = net.last;
      s1.accept();
      s1.receive(encode(41, 2, ['other.host', 1234]));
      s1.fn(encodeResponse(1, 200).toString('latin1'));
      s1.fn(true);
      assert.deepEqual(events, []);
      assert.equal(net.sockets.length, 2);
    });

    it('emits nothing after disconnect(), closes the socket and cancels timers', () => {
      const { net, cloud, events, clock } = setup();
      const s = login();
      cloud.disconnect();
      assert.equal(s.closed, true);
      assert.equal(cloud.isOnline(), false);
      s.fn(encode(17, 3, ['dbg', 'reboot']).toString('latin1'));
      s.fn(true);
      clock.tick(3600000);
      assert.deepEqual(events, [{ type: 'online' }]);
      assert.equal(net.sockets.length, 1);
      assert.deepEqual(s.lateWrites, []);
      assert.equal(clock.countTimers(), 0);
    });

    it('two clients are independent: each has its own state and link', () => {
      const { net, events } = setup();
      const s = login();
      const ev2: CloudEvent[] = [];
      const second = createCloud({ net, clock: timerClock, info: INFO, onEvent: (e) => ev2.push(e) });
      second.connect(TARGET);
      net.last.accept();
      net.last.receive(encodeResponse(1, 200));
      assert.deepEqual(ev2, [{ type: 'online' }]);
      assert.equal(s.closed, false, 'the first link stays up');
      second.disconnect();
      s.receive(encode(17, 3, ['dbg', 'reboot']));
      assert.deepEqual(events, [{ type: 'online' }, { type: 'command', command: 'reboot' }]);
      assert.deepEqual(ev2, [{ type: 'online' }]);
    });

    it('methods work detached from the client', () => {
      const { net, cloud, events } = setup();
      const { connect, isOnline, virtualWrite, disconnect } = cloud;
      connect(TARGET);
      net.last.accept();
      net.last.receive(encodeResponse(1, 200));
      assert.equal(isOnline(), true);
      assert.equal(virtualWrite(1, 'a'), true);
      disconnect();
      assert.equal(isOnline(), false);
      assert.deepEqual(events, [{ type: 'online' }]);
    });

    it('disconnect() during the login and during a connect is silent too', () => {
      const { net, cloud, events, clock } = setup();
      cloud.connect(TARGET);
      cloud.disconnect();
      net.last.refuse('refused');
      cloud.connect(TARGET);
      net.last.accept();
      cloud.disconnect();
      clock.tick(LOGIN_TIMEOUT_MS * 10);
      assert.deepEqual(events, []);
      assert.equal(net.sockets.length, 2);
    });

    it('a listener may reconnect from inside the offline event', () => {
      const { net, cloud, events, hooks } = setup();
      hooks.push((e) => {
        if (e.type === 'offline' && net.sockets.length < 3) cloud.connect({ ...TARGET, port: 1 });
      });
      cloud.connect({ ...TARGET, port: 1 });
      net.last.refuse('refused');
      assert.equal(net.sockets.length, 2);
      net.last.accept();
      net.last.receive(encodeResponse(1, 200));
      assert.deepEqual(events, [{ type: 'offline', reason: 'refused' }, { type: 'online' }]);
    });
  });

  describe('listeners driving the link', () => {
    it('a listener that disconnects inside a command event stops the rest of the chunk', () => {
      const { cloud, events, writes, hooks, net } = setup();
      const s = login();
      hooks.push((e) => {
        if (e.type === 'command') cloud.disconnect();
      });
      s.clearWritten();
      s.receive(Buffer.concat([encode(17, 3, ['dbg', 'reboot']), encode(20, 4, ['vw', 1, 'a']), encode(6, 5)]));
      assert.deepEqual(events, [{ type: 'online' }, { type: 'command', command: 'reboot' }]);
      assert.deepEqual(writes, []);
      assert.equal(s.written().length, 0);
      assert.equal(s.closed, true);
      assert.equal(net.sockets.length, 1);
    });

    it('a NetPort that throws in connect: no event inside connect(), then the fallback, then offline closed', () => {
      const { net, cloud, events, logs, clock } = setup();
      let calls = 0;
      net.connect = () => {
        calls++;
        throw new Error('no sockets left');
      };
      cloud.connect(TARGET);
      assert.deepEqual(events, []);
      assert.equal(calls, 1);
      clock.tick(10);
      assert.equal(calls, 2, '443 then 9443');
      assert.deepEqual(events, [{ type: 'offline', reason: 'closed' }]);
      assert.ok(logs.some((l) => l.includes('no sockets left')));
      clock.tick(600000);
      assert.equal(events.length, 1);
      assert.equal(clock.countTimers(), 0);
    });
  });

  describe('callback arguments', () => {
    it('log and onEvent get exactly one argument, onWrite exactly two', () => {
      const arities: string[] = [];
      const { net, cloud } = setup({
        log: function (...a: unknown[]) {
          if (a.length !== 1 || typeof a[0] !== 'string') arities.push('log ' + a.length);
        },
        onEvent: function (...a: unknown[]) {
          if (a.length !== 1) arities.push('onEvent ' + a.length);
        },
        onWrite: function (...a: unknown[]) {
          if (a.length !== 2) arities.push('onWrite ' + a.length);
        }
      });
      const s = login();
      s.receive(Buffer.concat([encode(20, 5, ['vw', 1]), encode(17, 6, ['dbg', 'reboot']), encode(17, 7, ['ota', 'x'])]));
      s.receive(encode(41, 8, ['fra1.blynk.cloud', 443]));
      net.last.refuse('refused');
      net.last.refuse('refused');
      cloud.disconnect();
      assert.deepEqual(arities, []);
    });
  });

  describe('certificate verification', () => {
    it('passes the target ca to every connection as DER bytes; with ca false, one warning line per TLS connection', () => {
      const { net, logs } = setup();
      const warn = (l: string) => /WARNING: TLS certificate not verified/.test(l);
      login(200, Object.assign({}, TARGET, { ca: false as const }));
      assert.equal(net.last.ca, false);
      assert.equal(logs.filter(warn).length, 1);
      net.last.receive(encode(41, 3, ['fra1.blynk.cloud', 443]));
      net.last.accept();
      assert.equal(net.last.ca, false, 'the redirect keeps the target');
      assert.equal(logs.filter(warn).length, 2);
      const pem = '-----BEGIN CERTIFICATE-----\nAAEC/w==\n-----END CERTIFICATE-----\n';
      login(200, Object.assign({}, TARGET, { ca: pem }));
      assert.equal(net.last.ca, '\x00\x01\x02\xff', "Espruino's tls takes DER");
      login(200, TARGET);
      assert.equal(net.last.ca, undefined);
      login(200, Object.assign({}, TARGET, { tls: false, port: 80, ca: false as const }));
      assert.equal(logs.filter(warn).length, 2, 'no warning: verified, or not TLS');
    });
  });

  describe('socket errors and certificates', () => {
    it('a tlsCa whose body does not decode fails the attempt as tls, with a log line and nothing thrown', () => {
      const { net, cloud, events, logs, clock } = setup();
      const bad = '-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n';
      assert.doesNotThrow(() => cloud.connect(Object.assign({}, TARGET, { ca: bad })));
      assert.equal(net.sockets.length, 0, 'no connection made');
      clock.tick(0);
      assert.deepEqual(events, [{ type: 'offline', reason: 'tls' }]);
      assert.ok(logs.some((l) => /connect failed/.test(l)), logs.join('\n'));
    });

    it("socket errors (Espruino's socketerrors.c messages) map to the cloud client's reasons", () => {
      const table: Array<[unknown, string]> = [
        [{ code: -6, message: 'not found' }, 'dns'], [{ code: -13, message: 'SSL handshake failed' }, 'tls'],
        [{ code: -14, message: 'invalid SSL data' }, 'tls'], [{ code: -11, message: 'no connection' }, 'refused'],
        [{ code: -4, message: 'no route' }, 'refused'], [{ code: -3, message: 'timeout' }, 'timeout'],
        [{ code: -9, message: 'connection reset' }, 'closed'], ['weird', 'closed']
      ];
      for (const [err, reason] of table) assert.equal(socketReason(err), reason, JSON.stringify(err));
    });

    it('PEM body: header, footer, blank lines and CRLF removed', () => {
      const pem = '-----BEGIN CERTIFICATE-----\r\nMIIB\r\nAbC+/=\r\n\r\n-----END CERTIFICATE-----\r\n';
      assert.equal(pemBody(pem), 'MIIBAbC+/=');
    });
  });

  describe('token redaction', () => {
    it('never logs more than the first 4 token characters', () => {
      const { net, cloud, logs } = setup();
      login(9);
      login(200);
      net.last.receive(encode(41, 3, ['fra1.blynk.cloud', 80]));
      net.last.refuse('refused');
      net.last.accept();
      net.last.receive(encodeResponse(1, 200));
      net.last.receive(encode(17, 4, ['ota', 'x']));
      cloud.disconnect();
      assert.ok(logs.length >= 5);
      assert.ok(logs.some((l) => l.includes(TOKEN.slice(0, 4))));
      for (const l of logs) assert.ok(!l.includes(TOKEN.slice(0, 5)), 'leaks token: ' + l);
    });
  });
});
