/**
 * The board driver's pure mappings: Espruino's Wi-Fi failure texts of both
 * chips, scan security modes, socket errors, and LED levels.
 */
import { strict as assert } from 'assert';
import { joinReason, security, ledLevel } from '../../boards/mapping';

describe('board driver mappings', () => {
  it('Wi-Fi connect failures of both chips map to join reasons', () => {
    const table: Array<[unknown, string]> = [
      ['bad_password', 'wrong_password'], ['AUTH_FAIL', 'wrong_password'], ['auth_expire', 'wrong_password'],
      ['no_ap_found', 'no_ap_found'], ['NO_AP_FOUND', 'no_ap_found'], ['dhcp_timeout', 'no_ip'],
      ['connect_failed', 'failed'], ['201', 'failed'], [undefined, 'failed']
    ];
    for (const [err, reason] of table) assert.equal(joinReason(err), reason, String(err));
  });

  it('scan security: ESP32 names and ESP8266 AUTH_MODE numbers', () => {
    assert.deepEqual(['open', 'wep', 'wpa', 'wpa2', 'wpa_wpa2', 'wpa2_enterprise', 'wpa3', 'wpa2_wpa3', 'odd'].map(security),
      ['OPEN', 'WEP', 'WPA', 'WPA2', 'WPA+WPA2', 'WPA2-EAP', 'WPA3', 'WPA2+WPA3', 'unknown']);
    assert.deepEqual([0, 1, 2, 3, 4, 9].map(security), ['OPEN', 'WEP', 'WPA', 'WPA2', 'WPA+WPA2', 'unknown']);
  });

  it('LED level: channel 0..255 scaled by brightness 0..255, clamped', () => {
    assert.equal(ledLevel(255, undefined), 1);
    assert.equal(ledLevel(0, undefined), 0);
    assert.equal(ledLevel(255, 64), 64 / 255);
    assert.equal(ledLevel(128, 255), 128 / 255);
    assert.equal(ledLevel(300, 999), 1);
    assert.equal(ledLevel(-5, 100), 0);
  });
});
