import { strict as assert } from 'assert';
import sinon from 'sinon';
import { ConfigRecord } from '../../lib/types';
import { decodeQuery, jsonFields } from '../../lib/bytes';
import { Harness, TOKEN, fakeTimers, fromUtf8, harness, net, post, utf8 } from './helpers';

/** Field lesson 5: nasty SSIDs and passwords, as JS (Unicode) strings. */
const NASTY: Array<[string, string, string]> = [
  // [what, ssid, pass]
  ['max-length ASCII', 'S'.repeat(32), '0123456789abcdef'.repeat(4)],
  ['max-length 2-byte UTF-8', 'é'.repeat(16), 'ü'.repeat(32)],
  ['max-length emoji', '😀'.repeat(8), '🔥'.repeat(16)],
  ['mixed widths to exactly 32/64 bytes', 'a' + 'é'.repeat(15) + 'b', 'x' + '€'.repeat(21)],
  ['typographic dashes', 'Café – Gäste', 'pass—word–2'],
  ['typographic quotes', 'Wi-Fi “Home” ‘5G’', '«secret»'],
  ['ampersand and equals', 'a&b=c', 'p&q=r&s'],
  ['only ampersand / equals', '&', '='],
  ['plus literal', '+plus+', 'a+b+c'],
  ['percent literal', '100%', '%'],
  ['escape-looking literal', '%41%42', '%zz%'],
  ['hash and question mark', '#net?', 'pa#ss?word'],
  ['double quote', '"quoted"', 'he said "hi"'],
  ['single quote', "Bob's Wi-Fi", "it's"],
  ['backslash', 'back\\slash', '\\\\server\\share'],
  ['angle brackets', '<script>', '<b>&amp;</b>'],
  ['spaces at both ends', '  spaced net  ', ' secret '],
  ['only spaces', '   ', '        '],
  ['empty password', 'OpenNet', ''],
  ['all printable ASCII (1)', '!"#$%&\'()*+,-./0123456789:;<=', '>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnop'],
  ['all printable ASCII (2)', 'qrstuvwxyz{|}~', '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'],
  ['CJK', '我的网络', '密码密码'],
  ['Cyrillic', 'Домашняя сеть', 'пароль123'],
  ['Greek and Arabic', 'Ελληνικά', 'كلمة السر'],
  ['ZWJ emoji sequence', '👨‍👩‍👧 home', '👍🏽'],
  ['combining accent', 'Cafe\u0301', 'n\u0303'],
  ['no-break space', 'my\u00a0net', '\u00a0'],
  ['unreserved marks', "~!*()'.-_", "~!*()'"],
  ['slash and colon', 'http://x/y', 'c:/path'],
  ['tab and control-ish', 'tab\there', 'line\r\nbreak'],
  ['percent-plus mixes', '%+%', '+%2B+'],
  ['non-BMP CJK', '𠜎𠜱', '𝄞 music'],
  ['DEL byte', 'del\u007fnet', '\u007f'],
  ['space around ampersand', ' & ', ' = ']
];

/** encodeURIComponent, as a phone app would build the query. */
function encComponent(s: string): string {
  return encodeURIComponent(s);
}

/** encodeURIComponent with spaces as `+` (form style). */
function encFormish(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+');
}

/** The WHATWG urlencoded serializer (what a browser sends for a form): lower-case hex for variety. */
function encBrowser(s: string, lower = false): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9*\-._]/.test(c)) out += c;
    else if (byte === 0x20) out += '+';
    else {
      const h = byte.toString(16).toUpperCase().padStart(2, '0');
      out += '%' + (lower ? h.toLowerCase() : h);
    }
  }
  return out;
}

type Enc = (s: string) => string;
const ENCODINGS: Array<[string, Enc]> = [
  ['encodeURIComponent', encComponent],
  ['form style (+)', encFormish],
  ['browser form, lower-case hex', (s) => encBrowser(s, true)]
];

function configOf(h: Harness): ConfigRecord {
  const ev = h.events().find((e) => e.type === 'config');
  assert.ok(ev && ev.type === 'config', 'a config was sent');
  return ev.config;
}

describe('nasty credentials (field lesson 5)', () => {
  let clock: sinon.SinonFakeTimers;
  let h: Harness;
  beforeEach(() => {
    clock = fakeTimers();
    h = harness();
  });
  afterEach(() => {
    h.portal.stop();
    clock.restore();
  });

  it('the table has at least 30 entries within the byte limits', () => {
    assert.ok(NASTY.length >= 30);
    for (const [what, ssid, pass] of NASTY) {
      assert.ok(Buffer.byteLength(ssid) <= 32 && Buffer.byteLength(ssid) >= 1, what);
      assert.ok(Buffer.byteLength(pass) <= 64, what);
    }
    assert.equal(Buffer.byteLength(NASTY[0][1]), 32);
    assert.equal(Buffer.byteLength(NASTY[0][2]), 64);
    assert.equal(Buffer.byteLength(NASTY[2][1]), 32);
    assert.equal(Buffer.byteLength(NASTY[2][2]), 64);
    assert.equal(Buffer.byteLength(NASTY[3][1]), 32);
    assert.equal(Buffer.byteLength(NASTY[3][2]), 64);
  });

  for (const [what, ssid, pass] of NASTY) {
    for (const [encName, enc] of ENCODINGS) {
      it(what + ' via query, ' + encName, () => {
        const ex = h.req('/config?ssid=' + enc(ssid) + '&pass=' + enc(pass) + '&blynk=' + TOKEN);
        assert.equal(ex.status, 200, ex.body);
        const c = configOf(h);
        assert.equal(c.ssid, utf8(ssid));
        assert.equal(c.pass, utf8(pass));
        assert.equal(fromUtf8(c.ssid), ssid);
      });
    }
    it(what + ' via form body in random chunks', () => {
      const body = 'ssid=' + encBrowser(ssid) + '&pass=' + encBrowser(pass) + '&blynk=' + TOKEN;
      const chunks: string[] = [];
      let rest = body;
      let k = body.length;
      while (rest.length) {
        k = (k * 7 + 3) % 17 + 1;
        chunks.push(rest.slice(0, k));
        rest = rest.slice(k);
      }
      const ex = h.req(post('/config', body, chunks));
      assert.equal(ex.status, 200);
      const c = configOf(h);
      assert.equal(c.ssid, utf8(ssid));
      assert.equal(c.pass, utf8(pass));
    });
    it(what + ' as ssidManual', () => {
      h.req('/config?ssid=Other&ssidManual=' + encComponent(ssid) + '&pass=' + encComponent(pass) + '&blynk=' + TOKEN);
      assert.equal(configOf(h).ssid, utf8(ssid));
    });
  }

  it('raw (unencoded) UTF-8 bytes in the query pass through as bytes', () => {
    const ssid = 'Café – 😀';
    h.req('/config?ssid=' + utf8(ssid) + '&blynk=' + TOKEN);
    assert.equal(configOf(h).ssid, utf8(ssid));
  });

  it('a non-UTF-8 byte (%FF) is kept as that byte', () => {
    h.req('/config?ssid=a%FFb&pass=%80&blynk=' + TOKEN);
    assert.equal(configOf(h).ssid, 'a\xffb');
    assert.equal(configOf(h).pass, '\x80');
  });

  const TOO_LONG: Array<[string, string, string]> = [
    ['33-byte ASCII SSID', 'S'.repeat(33), 'x'],
    ['33-byte UTF-8 SSID', 'é'.repeat(16) + 'a', 'x'],
    ['33-byte emoji SSID', '😀'.repeat(8) + '!', 'x'],
    ['33-byte SSID of 11 CJK chars', '我'.repeat(11), 'x'],
    ['65-byte ASCII password', 'Net', 'p'.repeat(65)],
    ['65-byte UTF-8 password', 'Net', 'ü'.repeat(32) + 'a'],
    ['65-byte emoji password', 'Net', '🔥'.repeat(16) + '.']
  ];
  for (const [what, ssid, pass] of TOO_LONG) {
    for (const [encName, enc] of ENCODINGS) {
      it('rejects ' + what + ' (' + encName + ') with the 500 JSON', () => {
        const ex = h.req('/config?ssid=' + enc(ssid) + '&pass=' + enc(pass) + '&blynk=' + TOKEN);
        assert.equal(ex.status, 500);
        assert.equal(ex.headers['Content-Type'], 'application/json');
        assert.equal(ex.body, '{"status":"error","msg":"Configuration invalid"}');
        assert.deepEqual(h.events(), []);
      });
    }
  }

  it('board_info with nasty template names and SSIDs parses back to the original', () => {
    for (const [what, ssid, pass] of NASTY) {
      h.info.board = utf8(ssid);
      h.info.ssid = utf8(pass);
      const ex = h.req('/board_info.json');
      assert.equal(ex.status, 200);
      const parsed = JSON.parse(fromUtf8(ex.body));
      assert.equal(parsed.board, ssid, what);
      assert.equal(parsed.ssid, pass, what);
      assert.equal(ex.headers['Content-Length'], String(ex.body.length), 'byte length');
    }
  });

  it('wifi_scan with nasty SSIDs parses back to the original', () => {
    const ssids = NASTY.map((n) => n[1]).filter((s, i, a) => a.indexOf(s) === i);
    for (let i = 0; i < ssids.length; i += 15) {
      const batch = ssids.slice(i, i + 15);
      const c = harness();
      c.wifi.scanList = batch.map((s, k) => net(utf8(s), -30 - k));
      const ex = c.req('/wifi_scan.json');
      const list = JSON.parse(fromUtf8(ex.body));
      assert.deepEqual(list.map((e: { ssid: string }) => e.ssid), batch);
      c.portal.stop();
    }
  });

  it('jsonFields escapes exactly the JSON specials in strings and keeps bytes ≥ 0x80', () => {
    // The string literal jsonFields writes for one value.
    const jsonString = (v: string) => {
      const j = jsonFields({ s: v }, 's');
      assert.ok(j.startsWith('{"s":') && j.endsWith('}'), j);
      return j.slice(5, -1);
    };
    assert.equal(jsonString(''), '""');
    assert.equal(jsonString('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(jsonString('\x00\x01\x1f\x7f\n\t'), '"\\u0000\\u0001\\u001F\\u007F\\u000A\\u0009"');
    assert.equal(jsonString(utf8('é😀')), '"' + utf8('é😀') + '"');
    for (let c = 0; c < 256; c++) {
      const s = String.fromCharCode(c);
      const out = jsonString(s);
      if (c < 0x80) assert.equal(JSON.parse(out), s, 'byte ' + c);
      else assert.equal(out, '"' + s + '"', 'byte ' + c + ' passes through');
    }
  });

  it('jsonFields writes the fields asked for, in order: finite numbers and booleans as they are, the rest null', () => {
    const o = { a: 'x', n: -53, t: true, f: false, nan: NaN, inf: Infinity, obj: {}, nul: null };
    assert.equal(jsonFields(o, 'n a t f nan inf obj nul missing'),
      '{"n":-53,"a":"x","t":true,"f":false,"nan":null,"inf":null,"obj":null,"nul":null,"missing":null}');
    assert.equal(jsonFields(o, 'a'), '{"a":"x"}');
  });

  it('decodeQuery: escapes, +, repeated keys, keys without =, bad escapes', () => {
    assert.deepEqual(decodeQuery(''), {});
    assert.deepEqual(decodeQuery('a=1&b=x+y&c=%41%4a%4A'), { a: '1', b: 'x y', c: 'AJJ' });
    assert.deepEqual(decodeQuery('a=1&a=2'), { a: '2' });
    assert.deepEqual(decodeQuery('flag&x=&&y=%3D'), { flag: '', x: '', y: '=' });
    assert.deepEqual(decodeQuery('k%20ey=v=w'), { 'k ey': 'v=w' });
    assert.deepEqual(decodeQuery('=x&%3D=y&=&a=1'), { '=': 'y', a: '1' }, 'empty keys ignored');
    assert.deepEqual(decodeQuery('p=%2B%25%26'), { p: '+%&' });
    assert.deepEqual(decodeQuery('e=%C3%A9'), { e: '\xc3\xa9' });
    const proto = decodeQuery('__proto__=x&ok=1')!;
    assert.equal(proto.ok, '1');
    assert.equal(Object.getPrototypeOf(proto), Object.prototype);
    for (const bad of ['%', 'a=%', 'a=%1', 'a=%Z1', 'a=%1Z', 'a=ok&b=%g0', '%zz=1', 'a=100%', 'a=%%41']) {
      assert.equal(decodeQuery(bad), null, bad);
    }
  });
});
