/**
 * The provisioning state machine with fake ports and sinon fake timers:
 * every row of the transition table, each timeout and retry budget, error
 * codes, commit on success, first-failure rollback and the never-stranded rule.
 */
import { strict as assert } from 'assert';
import sinon from 'sinon';
import {
  createMachine, Machine, MachineOptions, STATES, transitions, SWITCH_DELAY_MS, JOIN_TIMEOUT_MS, CLOUD_TIMEOUT_MS,
  ERROR_REBOOT_MS, REBOOT_DELAY_MS, BACKOFF_MIN_MS, BACKOFF_MAX_MS, PROVISIONED_ATTEMPTS
} from '../../lib/machine';
import { defaultRecord } from '../../lib/record';
import { ConfigRecord, State } from '../../lib/types';
import { timerClock } from '../fakes/clock';
import { MachineRig, TOKEN, provisioned, rig } from './machine-rig';

function staged(over?: Partial<ConfigRecord>): ConfigRecord {
  return Object.assign(defaultRecord(), { valid: true, ssid: 'Home', pass: 'secret12', token: TOKEN }, over || {});
}

describe('state machine', () => {
  let clock: sinon.SinonFakeTimers;
  let r: MachineRig;
  let m: Machine;

  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => {
    if (m) m.stop();
    clock.restore();
  });

  function boot(opts?: Partial<MachineOptions>, stored?: ConfigRecord): void {
    r = rig(stored, opts);
    m = r.machine;
    m.start();
  }

  function toConnectingNet(opts?: Partial<MachineOptions>): void {
    boot(opts);
    m.portal({ type: 'config', config: staged(), save: false });
    clock.tick(0);
    clock.tick(SWITCH_DELAY_MS);
    assert.equal(m.state(), 'CONNECTING_NET');
  }

  function toRunning(opts?: Partial<MachineOptions>): void {
    toConnectingNet(opts);
    r.wifi.finishJoin(null); clock.tick(0);
    r.cloud.emit({ type: 'online' });
    clock.tick(0);
    assert.equal(m.state(), 'RUNNING');
    // The commit, a step of its own.
    clock.tick(1);
  }

  describe('the table is sound', () => {
    const TABLE = Object.fromEntries(STATES.map((s) => [s, transitions(s)])) as Record<State, ReturnType<typeof transitions>>;
    const states = STATES;

    it('lists every state once, each with its own row', () => {
      assert.equal(new Set(STATES).size, STATES.length);
      for (const s of STATES) assert.ok(Object.keys(transitions(s)).length > 0, s);
    });

    it('every target is a state or a known pseudo-target', () => {
      for (const s of states) {
        for (const [ev, target] of Object.entries(TABLE[s])) {
          assert.ok(states.includes(target as State) || ['@retry', '@reconnect', '@reboot', '@stay'].includes(target as string),
            `${s}.${ev} -> ${target}`);
        }
      }
    });

    it('every waiting state has a timeout or an exit, and RESET_CONFIG and ERROR always end', () => {
      for (const s of states) {
        const targets = Object.values(TABLE[s]).filter((t) => t !== '@stay' && t !== s);
        assert.ok(targets.length > 0, `${s} has no exit`);
      }
      for (const s of ['SWITCH_TO_STA', 'CONNECTING_NET', 'CONNECTING_CLOUD', 'ERROR'] as State[]) {
        assert.ok(TABLE[s].timeout, `${s} owns no timeout`);
      }
      // OTA_UPGRADE's timeout is the update module's idle timer (lib/ota.ts): it ends as updated or update_failed.
      assert.equal(TABLE.OTA_UPGRADE.updated, '@reboot');
      assert.equal(TABLE.OTA_UPGRADE.update_failed, 'ERROR');
      assert.ok(TABLE.RESET_CONFIG.done && TABLE.RESET_CONFIG.fatal);
    });

    it('every state is reachable from BOOT', () => {
      const seen = new Set<string>(['BOOT']);
      const todo: string[] = ['BOOT'];
      while (todo.length) {
        const s = todo.pop() as State;
        for (const t of Object.values(TABLE[s])) {
          const next = t === '@retry' ? 'ERROR' : t === '@reconnect' ? 'CONNECTING_CLOUD' : t;
          if (next && !next.startsWith('@') && !seen.has(next)) {
            seen.add(next);
            todo.push(next);
          }
        }
      }
      assert.deepEqual(states.filter((s) => !seen.has(s)), []);
    });

    it('a button hold reaches RESET_CONFIG from every state after BOOT', () => {
      for (const s of states) {
        if (s !== 'BOOT' && s !== 'RESET_CONFIG') assert.equal(TABLE[s].hold_reset, 'RESET_CONFIG', s);
      }
    });
  });

  describe('BOOT', () => {
    it('blank record: WAIT_CONFIG with the access point, then the services', () => {
      boot();
      assert.equal(m.state(), 'WAIT_CONFIG');
      assert.deepEqual(r.wifi.apStarts, [{ ssid: 'Blynk Test-4KN8', password: '' }]);
      assert.equal(r.service.running, true);
      assert.deepEqual(r.log.filter((l) => l.includes('=>')), ['BOOT => WAIT_CONFIG']);
    });

    it('valid record: CONNECTING_NET with the stored network, no access point', () => {
      boot({}, provisioned());
      assert.equal(m.state(), 'CONNECTING_NET');
      assert.equal(r.wifi.apStarts.length, 0);
      assert.equal(r.wifi.joins[0].ssid, 'Home');
      assert.equal(r.wifi.joins[0].password, 'secret12');
      assert.equal(r.wifi.joins[0].hostname, 'Blynk-Test-4KN8');
      assert.equal(r.wifi.joins[0].staticIp, null);
    });

    it('static IP flagged: the join carries the settings', () => {
      boot({}, provisioned({ staticIp: true, ip: '10.0.0.9', mask: '255.255.255.0', gw: '10.0.0.1', dns: '10.0.0.1' }));
      assert.deepEqual(r.wifi.joins[0].staticIp, { ip: '10.0.0.9', mask: '255.255.255.0', gw: '10.0.0.1', dns: '10.0.0.1', dns2: '' });
    });

    it('start is idempotent and notifies listeners once per change', () => {
      r = rig();
      m = r.machine;
      const seen: string[] = [];
      m.onStateChange((next, prev) => seen.push(`${prev}>${next}`));
      m.start();
      m.start();
      clock.tick(0);
      assert.deepEqual(seen, ['BOOT>WAIT_CONFIG']);
      assert.equal(r.wifi.apStarts.length, 1);
    });
  });

  describe('WAIT_CONFIG and CONFIGURING', () => {
    it('board_info -> CONFIGURING; repeated board_info stays; last station leaving -> WAIT_CONFIG', () => {
      boot();
      m.portal({ type: 'board_info' });
      clock.tick(0);
      assert.equal(m.state(), 'CONFIGURING');
      m.portal({ type: 'board_info' });
      clock.tick(0);
      assert.equal(m.state(), 'CONFIGURING');
      r.wifi.fire({ type: 'stations', count: 1 });
      assert.equal(m.state(), 'CONFIGURING');
      r.wifi.fire({ type: 'stations', count: 0 });
      assert.equal(m.state(), 'WAIT_CONFIG');
      assert.equal(r.service.running, true, 'portal stays up across the revert');
      assert.equal(r.wifi.apStarts.length, 1, 'the AP is not restarted');
    });

    it('a station leaving in WAIT_CONFIG changes nothing', () => {
      boot();
      r.wifi.fire({ type: 'stations', count: 0 });
      assert.equal(m.state(), 'WAIT_CONFIG');
    });

    for (const from of ['WAIT_CONFIG', 'CONFIGURING'] as State[]) {
      it(`${from}: config -> SWITCH_TO_STA, staged only in RAM; the AP stays up ${SWITCH_DELAY_MS} ms`, () => {
        boot();
        if (from === 'CONFIGURING') m.portal({ type: 'board_info' });
        m.portal({ type: 'config', config: staged(), save: false }); clock.tick(0);
        clock.tick(0);
        assert.equal(m.state(), 'SWITCH_TO_STA');
        assert.equal(r.store.saves.length, 0, 'nothing written before it is proven');
        assert.equal(m.config().ssid, 'Home');
        clock.tick(SWITCH_DELAY_MS - 1);
        assert.equal(r.wifi.apUp, true);
        assert.equal(r.service.running, true);
        assert.equal(r.wifi.joins.length, 0);
        clock.tick(1);
        assert.equal(m.state(), 'CONNECTING_NET');
        assert.equal(r.wifi.apUp, false);
        assert.equal(r.service.running, false);
        assert.equal(r.wifi.joins.length, 1);
      });

      it(`${from}: reset -> RESET_CONFIG -> WAIT_CONFIG with the record erased`, () => {
        boot({}, provisioned({ lastError: 0 }));
        m.reconfigure();
        assert.equal(m.state(), 'WAIT_CONFIG');
        if (from === 'CONFIGURING') {
          m.portal({ type: 'board_info' });
          clock.tick(0);
        }
        const seen: string[] = [];
        m.onStateChange((n) => seen.push(n));
        m.portal({ type: 'reset' });
        clock.tick(10);
        assert.deepEqual(seen, ['RESET_CONFIG', 'WAIT_CONFIG']);
        assert.equal(r.store.record.valid, false);
        assert.equal(r.store.record.ssid, '');
        assert.equal(r.store.erases, 1);
      });

      it(`${from}: reboot request reboots after the reply had ${REBOOT_DELAY_MS} ms to leave`, () => {
        boot();
        if (from === 'CONFIGURING') {
          m.portal({ type: 'board_info' });
          clock.tick(0);
        }
        m.portal({ type: 'reboot' });
        clock.tick(0);
        clock.tick(REBOOT_DELAY_MS - 1);
        assert.equal(r.reboots, 0);
        m.portal({ type: 'board_info' });
        clock.tick(0);
        clock.tick(1);
        assert.equal(r.reboots, 1);
        assert.equal(clock.countTimers(), 0);
      });

      it(`${from}: a 10 s button hold -> RESET_CONFIG`, () => {
        boot();
        if (from === 'CONFIGURING') {
          m.portal({ type: 'board_info' });
          clock.tick(0);
        }
        m.holdReset();
        clock.tick(0);
        assert.equal(m.state(), 'WAIT_CONFIG');
        assert.equal(r.store.erases, 1);
      });
    }

    it('the access point failing to start -> ERROR with 704', () => {
      r = rig();
      r.wifi.apError = 'no radio';
      m = r.machine;
      m.start();
      assert.equal(m.state(), 'ERROR');
      assert.equal(m.lastError(), 704);
      clock.tick(0);
      assert.equal(r.store.record.lastError, 704);
    });

    it('the idle timeout is off by default', () => {
      boot({}, provisioned());
      m.reconfigure();
      clock.tick(24 * 3600 * 1000);
      assert.equal(m.state(), 'WAIT_CONFIG');
      assert.equal(r.reboots, 0);
    });

    it('idle timeout reboots into the stored config; activity restarts it', () => {
      boot({ configIdleTimeoutMs: 60000 }, provisioned());
      m.reconfigure();
      clock.tick(59000);
      m.portal({ type: 'activity' });
      clock.tick(0);
      clock.tick(59000);
      assert.equal(r.reboots, 0);
      m.portal({ type: 'board_info' });
      clock.tick(0);
      clock.tick(1000 + REBOOT_DELAY_MS);
      assert.equal(r.reboots, 1);
    });

    it('idle timeout without a stored config keeps the portal up', () => {
      boot({ configIdleTimeoutMs: 60000 });
      clock.tick(10 * 60000);
      assert.equal(m.state(), 'WAIT_CONFIG');
      assert.equal(r.reboots, 0);
    });

    it('a config arriving outside config mode is ignored', () => {
      boot({}, provisioned());
      m.portal({ type: 'config', config: staged({ ssid: 'Other' }), save: false }); clock.tick(0);
      clock.tick(0);
      assert.equal(m.state(), 'CONNECTING_NET');
      assert.equal(m.config().ssid, 'Home');
    });
  });

  describe('SWITCH_TO_STA', () => {
    it('a button hold wins over the switch', () => {
      boot();
      m.portal({ type: 'config', config: staged(), save: false }); clock.tick(0);
      clock.tick(0);
      m.holdReset();
      clock.tick(0);
      assert.equal(m.state(), 'WAIT_CONFIG');
      clock.tick(SWITCH_DELAY_MS * 2);
      assert.equal(m.state(), 'WAIT_CONFIG');
      assert.equal(r.wifi.joins.length, 0);
    });
  });

  describe('CONNECTING_NET', () => {
    it('joined -> CONNECTING_CLOUD over plain TCP on the record port', () => {
      toConnectingNet();
      r.wifi.finishJoin(null); clock.tick(0);
      assert.equal(m.state(), 'CONNECTING_CLOUD');
      assert.deepEqual(r.cloud.targets, [{ host: 'blynk.cloud', port: 80, tls: false, token: TOKEN, ca: undefined }]);
    });

    it('TLS boards connect to port_ssl, with the trusted CA when one is set', () => {
      toConnectingNet({ tls: true, tlsCa: 'PEM' });
      r.wifi.finishJoin(null); clock.tick(0);
      assert.deepEqual(r.cloud.targets[0], { host: 'blynk.cloud', port: 443, tls: true, token: TOKEN, ca: 'PEM' });
    });

    const reasons: Array<[string, number]> = [['wrong_password', 722], ['no_ap_found', 720], ['no_ip', 723], ['failed', 701]];
    for (const [reason, code] of reasons) {
      it(`first provisioning: ${reason} -> ERROR with ${code}, persisted, staged values dropped`, () => {
        toConnectingNet();
        r.wifi.finishJoin(reason as any); clock.tick(0);
        assert.equal(m.state(), 'ERROR');
        assert.equal(m.lastError(), code);
        assert.equal(r.store.record.lastError, code);
        assert.equal(r.store.record.valid, false);
        assert.equal(r.store.record.ssid, '', 'the failed credentials were never stored');
        assert.equal(m.config().ssid, '');
      });
    }

    it('join timeout after 50 s -> 701, the radio told to leave', () => {
      toConnectingNet();
      clock.tick(JOIN_TIMEOUT_MS - 1);
      assert.equal(m.state(), 'CONNECTING_NET');
      clock.tick(1);
      assert.equal(m.state(), 'ERROR');
      assert.equal(m.lastError(), 701);
      assert.ok(r.wifi.leaves > 0);
    });

    it('a join callback arriving after its timeout is ignored', () => {
      boot({ provisionedAttempts: 3 }, provisioned());
      clock.tick(JOIN_TIMEOUT_MS);
      r.wifi.finishJoin(null, 0); clock.tick(0);
      assert.equal(m.state(), 'CONNECTING_NET');
    });

    it('static IP that cannot be applied -> ERROR with 700', () => {
      boot({}, provisioned({ staticIp: true, ip: '10.0.0.9', mask: '255.255.255.0', gw: '10.0.0.1', dns: '10.0.0.1' }));
      r.wifi.finishJoin('bad_static_ip'); clock.tick(0);
      assert.equal(m.state(), 'ERROR');
      assert.equal(m.lastError(), 700);
    });

    it('losing Wi-Fi while joining changes nothing', () => {
      boot({}, provisioned());
      r.wifi.fire({ type: 'lost', reason: 'beacon_timeout' });
      assert.equal(m.state(), 'CONNECTING_NET');
    });

    it('reconfigure -> WAIT_CONFIG', () => {
      boot({}, provisioned());
      m.reconfigure();
      assert.equal(m.state(), 'WAIT_CONFIG');
      assert.equal(r.wifi.apUp, true);
    });

    it('provisioned: failures back off exponentially with jitter, capped, and never open the AP', () => {
      boot({}, provisioned());
      const starts: number[] = [Date.now()];
      for (let i = 0; i < 12; i++) {
        r.wifi.finishJoin('no_ap_found'); clock.tick(0);
        r.waitJoin(clock);
        starts.push(Date.now());
      }
      const gaps = starts.slice(1).map((t, i) => t - starts[i]);
      for (let i = 0; i < gaps.length; i++) {
        const base = Math.min(BACKOFF_MIN_MS * Math.pow(2, i), BACKOFF_MAX_MS);
        assert.ok(gaps[i] >= base * 0.75 && gaps[i] <= base * 1.25 + 100, `gap ${i} = ${gaps[i]} for base ${base}`);
      }
      assert.ok(new Set(gaps.slice(-5)).size > 1, 'jitter varies between attempts');
      assert.equal(r.wifi.apStarts.length, 0);
      assert.equal(m.state(), 'CONNECTING_NET');
    });

    it('two devices with different chip ids retry at different times', () => {
      const delays: number[] = [];
      for (const chip of ['\x01\x02\x03\x04\x05\x06', '\x01\x02\x03\x04\x05\x07']) {
        r = rig(provisioned(), {}, chip);
        m = r.machine;
        m.start();
        const t0 = Date.now();
        r.wifi.finishJoin('failed'); clock.tick(0);
        r.waitJoin(clock, 10);
        delays.push(Date.now() - t0);
        m.stop();
      }
      assert.notEqual(delays[0], delays[1]);
    });

    it('provisioned: the budget is large, and when spent -> ERROR 701 and a reboot, never the AP', () => {
      assert.equal(PROVISIONED_ATTEMPTS, 500);
      boot({ provisionedAttempts: 4 }, provisioned());
      for (let i = 0; i < 4; i++) {
        assert.equal(m.state(), 'CONNECTING_NET');
        clock.tick(JOIN_TIMEOUT_MS);
        if (i < 3) r.waitJoin(clock);
      }
      assert.equal(r.wifi.joins.length, 4);
      assert.equal(m.state(), 'ERROR');
      assert.equal(m.lastError(), 701);
      assert.equal(r.store.record.valid, true, 'good credentials are never abandoned');
      clock.tick(ERROR_REBOOT_MS + REBOOT_DELAY_MS);
      assert.equal(r.reboots, 1);
      assert.equal(r.wifi.apStarts.length, 0);
    });

    it('router down at boot for an hour: no AP, online once it returns', () => {
      boot({}, provisioned());
      const hour = 3600 * 1000;
      const until = Date.now() + hour;
      let answered = 0;
      while (Date.now() < until) {
        if (r.wifi.joins.length > answered) {
          answered = r.wifi.joins.length;
          r.wifi.finishJoin('no_ap_found'); clock.tick(0);
        }
        clock.tick(1000);
        assert.equal(m.state(), 'CONNECTING_NET');
      }
      assert.equal(r.wifi.apStarts.length, 0);
      assert.ok(r.wifi.joins.length > 20, `kept trying (${r.wifi.joins.length} joins)`);
      if (r.wifi.joins.length === answered) r.waitJoin(clock, 1000);
      r.wifi.finishJoin(null); clock.tick(0);
      r.cloud.emit({ type: 'online' });
      clock.tick(0);
      assert.equal(m.state(), 'RUNNING');
      assert.equal(r.reboots, 0);
    });
  });

  describe('CONNECTING_CLOUD', () => {
    it('online -> RUNNING: commits VALID, clears last_error, sends the hotspot name once', () => {
      boot({}, Object.assign(defaultRecord(), { lastError: 722 }));
      assert.equal(m.lastError(), 722);
      m.portal({ type: 'config', config: staged(), save: false }); clock.tick(0);
      clock.tick(0);
      clock.tick(SWITCH_DELAY_MS);
      r.wifi.finishJoin(null); clock.tick(0);
      assert.equal(r.store.saves.length, 0);
      r.cloud.emit({ type: 'online' });
      clock.tick(0);
      assert.equal(m.state(), 'RUNNING');
      // The commit is a step of its own, right after the login's.
      assert.equal(r.store.saves.length, 0);
      clock.tick(1);
      assert.equal(r.store.saves.length, 1);
      assert.equal(r.store.record.valid, true);
      assert.equal(r.store.record.ssid, 'Home');
      assert.equal(r.store.record.lastError, 0);
      assert.equal(r.store.record.fwVer, '1.0.0');
      assert.equal(m.lastError(), 0);
      assert.deepEqual(r.cloud.meta, [['Hotspot Name', 'Blynk Test-4KN8']]);
      r.cloud.emit({ type: 'offline', reason: 'closed' }); clock.tick(0);
      r.cloud.emit({ type: 'online' }); clock.tick(0);
      assert.equal(r.store.saves.length, 1, 'no rewrite on later logins');
      assert.equal(r.cloud.meta.length, 1);
    });

    it('save=1 stores VALID before trying, and the provisioned budget applies', () => {
      boot();
      m.portal({ type: 'config', config: staged(), save: true }); clock.tick(0);
      clock.tick(0);
      assert.equal(r.store.record.valid, true);
      assert.equal(r.store.saves.length, 1);
      clock.tick(SWITCH_DELAY_MS);
      r.wifi.finishJoin('wrong_password'); clock.tick(0);
      assert.equal(m.state(), 'CONNECTING_NET', 'keeps retrying saved credentials');
    });

    it('invalid token (9) -> WAIT_CONFIG with 703, no reboot, staged dropped', () => {
      toConnectingNet();
      r.wifi.finishJoin(null); clock.tick(0);
      r.cloud.emit({ type: 'rejected', status: 9 });
      clock.tick(0);
      assert.equal(m.state(), 'WAIT_CONFIG');
      assert.equal(m.lastError(), 703);
      assert.equal(r.store.record.lastError, 703);
      assert.equal(r.store.record.valid, false);
      assert.equal(r.reboots, 0);
      assert.equal(r.wifi.apUp, true);
      assert.equal(r.cloud.connected, false);
    });

    for (const [reason, code] of [['refused', 702], ['dns', 710], ['tls', 711], ['timeout', 702]] as Array<[string, number]>) {
      it(`first provisioning: cloud ${reason} -> ERROR ${code}`, () => {
        toConnectingNet();
        r.wifi.finishJoin(null); clock.tick(0);
        r.cloud.emit({ type: 'offline', reason });
        clock.tick(0);
        assert.equal(m.state(), 'ERROR');
        assert.equal(m.lastError(), code);
        assert.equal(r.store.record.valid, false);
      });
    }

    it('other login status -> retry (provisioned) after the backoff', () => {
      boot({}, provisioned());
      r.wifi.finishJoin(null); clock.tick(0);
      r.cloud.emit({ type: 'rejected', status: 5 });
      clock.tick(0);
      assert.equal(m.state(), 'CONNECTING_CLOUD');
      assert.equal(r.cloud.connected, false);
      clock.tick(BACKOFF_MIN_MS * 1.25 + 1);
      assert.equal(r.cloud.targets.length, 2);
    });

    it('attempt timeout after 50 s disconnects and counts as a failure', () => {
      toConnectingNet();
      r.wifi.finishJoin(null); clock.tick(0);
      clock.tick(CLOUD_TIMEOUT_MS - 1);
      assert.equal(m.state(), 'CONNECTING_CLOUD');
      clock.tick(1);
      assert.equal(m.state(), 'ERROR');
      assert.equal(m.lastError(), 702);
      assert.equal(r.cloud.connected, false);
    });

    it('Wi-Fi lost -> CONNECTING_NET', () => {
      boot({}, provisioned());
      r.wifi.finishJoin(null); clock.tick(0);
      r.wifi.fire({ type: 'lost', reason: 'x' });
      assert.equal(m.state(), 'CONNECTING_NET');
      assert.equal(r.cloud.connected, false);
    });

    it('reconfigure -> WAIT_CONFIG', () => {
      boot({}, provisioned());
      r.wifi.finishJoin(null); clock.tick(0);
      m.reconfigure();
      assert.equal(m.state(), 'WAIT_CONFIG');
      assert.equal(r.cloud.connected, false);
      assert.equal(r.wifi.joined, false);
    });

    it('button hold -> RESET_CONFIG', () => {
      boot({}, provisioned());
      r.wifi.finishJoin(null); clock.tick(0);
      m.holdReset();
      clock.tick(0);
      assert.equal(m.state(), 'WAIT_CONFIG');
      assert.equal(r.store.record.valid, false);
    });
  });

  describe('RUNNING', () => {
    it('link lost with Wi-Fi up -> CONNECTING_CLOUD, reconnects', () => {
      toRunning();
      r.cloud.emit({ type: 'offline', reason: 'timeout' });
      assert.equal(m.state(), 'RUNNING', 'a lost link is taken in a step of its own');
      clock.next();
      assert.equal(m.state(), 'CONNECTING_CLOUD');
      // Each cloud attempt is a step of its own.
      assert.equal(r.cloud.targets.length, 1);
      clock.next();
      assert.equal(r.cloud.targets.length, 2);
    });

    it('link lost with Wi-Fi down -> CONNECTING_NET', () => {
      toRunning();
      r.wifi.joined = false;
      r.cloud.emit({ type: 'offline', reason: 'closed' });
      clock.tick(0);
      assert.equal(m.state(), 'CONNECTING_NET');
    });

    it('Wi-Fi lost -> CONNECTING_NET', () => {
      toRunning();
      r.wifi.fire({ type: 'lost', reason: 'x' });
      assert.equal(m.state(), 'CONNECTING_NET');
      assert.equal(r.cloud.connected, false);
    });

    it('dbg config start -> WAIT_CONFIG keeping the record', () => {
      toRunning();
      r.cloud.emit({ type: 'command', command: 'config start' });
      clock.tick(0);
      assert.equal(m.state(), 'WAIT_CONFIG');
      assert.equal(r.store.record.valid, true);
    });

    it('dbg config erase -> RESET_CONFIG -> WAIT_CONFIG', () => {
      toRunning();
      r.cloud.emit({ type: 'command', command: 'config erase' });
      clock.tick(0);
      clock.tick(1);
      assert.equal(m.state(), 'WAIT_CONFIG');
      assert.equal(r.store.record.valid, false);
    });

    it('dbg reboot -> reboot', () => {
      toRunning();
      r.cloud.emit({ type: 'command', command: 'reboot' });
      clock.tick(0);
      clock.tick(REBOOT_DELAY_MS);
      assert.equal(r.reboots, 1);
    });

    it('token revoked while running -> WAIT_CONFIG with 703', () => {
      toRunning();
      r.cloud.emit({ type: 'rejected', status: 9 });
      clock.tick(0);
      assert.equal(m.state(), 'WAIT_CONFIG');
      assert.equal(m.lastError(), 703);
    });

    it('button hold -> RESET_CONFIG', () => {
      toRunning();
      m.holdReset();
      clock.tick(0);
      assert.equal(m.state(), 'WAIT_CONFIG');
      assert.equal(r.store.record.valid, false);
    });
  });

  describe('RESET_CONFIG', () => {
    it('erase failing -> ERROR with 704', () => {
      toRunning();
      r.store.failErase = true;
      m.holdReset();
      clock.tick(0);
      assert.equal(m.state(), 'ERROR');
      assert.equal(m.lastError(), 704);
    });
  });

  describe('ERROR', () => {
    function toError(): void {
      toConnectingNet();
      r.wifi.finishJoin('wrong_password'); clock.tick(0);
      assert.equal(m.state(), 'ERROR');
    }

    it('reboots after 10 s', () => {
      toError();
      clock.tick(ERROR_REBOOT_MS - 1);
      assert.equal(r.reboots, 0);
      clock.tick(REBOOT_DELAY_MS + 1);
      assert.equal(r.reboots, 1);
    });

    it('a held button postpones the reboot', () => {
      toError();
      r.held = true;
      clock.tick(ERROR_REBOOT_MS * 3);
      assert.equal(r.reboots, 0);
      r.held = false;
      clock.tick(1000 + REBOOT_DELAY_MS);
      assert.equal(r.reboots, 1);
    });

    it('a button reset during the wait wins', () => {
      toError();
      clock.tick(5000);
      m.holdReset();
      clock.tick(0);
      assert.equal(m.state(), 'WAIT_CONFIG');
      clock.tick(ERROR_REBOOT_MS * 2);
      assert.equal(r.reboots, 0);
    });

    it('reconfigure during the wait -> WAIT_CONFIG', () => {
      toError();
      m.reconfigure();
      assert.equal(m.state(), 'WAIT_CONFIG');
      clock.tick(ERROR_REBOOT_MS * 2);
      assert.equal(r.reboots, 0);
    });

    it('after a failed reconfigure the old VALID credentials survive with last_error', () => {
      boot({}, provisioned());
      m.reconfigure();
      m.portal({ type: 'config', config: staged({ ssid: 'New', pass: 'wrongpass' }), save: false }); clock.tick(0);
      clock.tick(0);
      clock.tick(SWITCH_DELAY_MS);
      r.wifi.finishJoin('wrong_password', r.wifi.joins.length - 1); clock.tick(0);
      assert.equal(m.state(), 'ERROR');
      assert.equal(r.store.record.valid, true);
      assert.equal(r.store.record.ssid, 'Home');
      assert.equal(r.store.record.lastError, 722);
    });
  });

  describe('lifecycle and debug', () => {
    it('stop clears every timer and no callback fires afterwards', () => {
      toConnectingNet();
      m.stop();
      assert.equal(clock.countTimers(), 0);
      const changes: string[] = [];
      m.onStateChange((n) => changes.push(n));
      r.wifi.finishJoin(null); clock.tick(0);
      r.cloud.emit({ type: 'online' });
      clock.tick(0);
      clock.tick(JOIN_TIMEOUT_MS * 2);
      assert.deepEqual(changes, []);
      assert.equal(r.service.running, false);
    });

    it('the button is watched from start to stop, through the button module', () => {
      r = rig();
      m = r.machine;
      assert.equal(r.buttonWatched, false);
      m.start();
      assert.equal(r.buttonWatched, true);
      m.stop();
      assert.equal(r.buttonWatched, false);
    });

    it('debug mode throws on an event the state does not handle', () => {
      boot({ debug: true }, provisioned());
      assert.throws(() => {
        m.portal({ type: 'board_info' });
        clock.tick(0);
      }, /board_info not handled in CONNECTING_NET/);
    });

    it('production mode ignores it', () => {
      boot({ debug: false }, provisioned());
      m.portal({ type: 'board_info' });
      clock.tick(0);
      assert.equal(m.state(), 'CONNECTING_NET');
    });

    it('the clock port is the only time source (works with the shared fake clock)', () => {
      const mo = createMachine(Object.assign({}, rig().options, { hw: Object.assign({}, rig().options.hw, { clock: timerClock }) }));
      mo.start();
      assert.equal(mo.state(), 'WAIT_CONFIG');
      mo.stop();
    });
  });
});
