/**
 * Firmware versions read over SNMP: the version each recording shows (identity.firmware in the
 * hand-written golden files; absent where the recording has no vendor firmware object), the
 * profile table, and values that must not become a version.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normaliseSnmp } from '../../../agent/normalise/snmpSnapshot.js';
import { FIRMWARE_PROFILES, firmwareWalks } from '../../../agent/normalise/firmwareProfiles.js';
import { DeviceSnapshot } from '../../../shared/snapshot.js';
import { OID } from '../../../mibs/oids.generated.js';
import { valuesFromSnmprec } from '../../harness/snmprecValues.js';
import { CORPUS_DIR, REPO_ROOT } from '../../harness/repo.js';

const RECORDINGS = join(CORPUS_DIR, 'snmprec');
const GOLDEN = join(REPO_ROOT, 'test', 'golden', 'snmp');
const read = (text: string) => normaliseSnmp(valuesFromSnmprec(text), { address: '127.0.0.1:161', collectedAt: '2026-11-30T23:30:00Z' });

describe('firmware version of each recording', () => {
  const files = readdirSync(RECORDINGS).filter((f) => f.endsWith('.snmprec'));
  for (const file of files) {
    const name = file.slice(0, -'.snmprec'.length);
    const golden = JSON.parse(readFileSync(join(GOLDEN, `${name}.json`), 'utf8')) as { expect: string; identity?: Record<string, string> };
    if (golden.expect !== 'snapshot') continue;
    it(`${name}: ${golden.identity?.firmware ?? 'no firmware object'}`, () => {
      const s = read(readFileSync(join(RECORDINGS, file), 'utf8'));
      expect(s.identity.firmware).toBe(golden.identity?.firmware);
      expect(() => DeviceSnapshot.parse(s)).not.toThrow();
    });
  }

  it('the recordings with a vendor firmware object are the nine expected', () => {
    const withFirmware = readdirSync(GOLDEN)
      .filter((f) => f.endsWith('.json'))
      .filter((f) => (JSON.parse(readFileSync(join(GOLDEN, f), 'utf8')) as { identity?: { firmware?: string } }).identity?.firmware !== undefined)
      .map((f) => f.slice(0, -5))
      .sort();
    expect(withFirmware).toEqual([
      'brother',
      'brother_hl5370dw',
      'canonprinter_lbp',
      'canonprinter_tm',
      'konica',
      'konica_c250i',
      'ricoh_mpc2503',
      'ricoh_mpc3002',
      'utax',
    ]);
  });
});

describe('firmware profiles', () => {
  it('one row per vendor, each object in the OID table under the vendor branch', () => {
    expect(new Set(FIRMWARE_PROFILES.map((p) => p.vendor)).size).toBe(FIRMWARE_PROFILES.length);
    for (const p of FIRMWARE_PROFILES) {
      expect(OID[p.object], p.object).toMatch(/^1\.3\.6\.1\.4\.1\.\d+\./);
      expect(p.instance).toMatch(/^\d+(\.\d+)*$/);
      expect(p.evidence.length).toBeGreaterThan(10);
    }
  });

  it('the collector walks the firmware object only on its vendor', () => {
    expect(firmwareWalks('ricoh')).toEqual(['ricohFirmwareVersion']);
    expect(firmwareWalks('kyocera')).toEqual(['kyoceraFirmwareVersion']);
    expect(firmwareWalks('hp')).toEqual([]);
    expect(firmwareWalks(null)).toEqual([]);
  });
});

const RICOH_HEAD = `${OID.sysObjectID}.0|6|1.3.6.1.4.1.367.1.1
${OID.sysDescr}.0|4|RICOH MP C2503
${OID.hrDeviceType}.1|6|${OID.hrDevicePrinter}
`;

describe('values that are not a version', () => {
  it('an empty value, or only the vendor prefix, gives no firmware', () => {
    expect(read(`${RICOH_HEAD}${OID.ricohFirmwareVersion}.0|4|`).identity.firmware).toBeUndefined();
    const brother = `${OID.sysObjectID}.0|6|1.3.6.1.4.1.2435.2.3.9.1
${OID.hrDeviceType}.1|6|${OID.hrDevicePrinter}
${OID.brotherFirmwareVersion}.0|4|Firmware Ver.  `;
    expect(read(brother).identity.firmware).toBeUndefined();
  });

  it('a number where text is expected is ignored', () => {
    expect(read(`${RICOH_HEAD}${OID.ricohFirmwareVersion}.0|2|135`).identity.firmware).toBeUndefined();
  });

  it('another vendor’s firmware object is not read', () => {
    expect(read(`${RICOH_HEAD}${OID.konicaFirmwareVersion}.0|4|1.80`).identity.firmware).toBeUndefined();
  });

  it('an over-long value is clipped to what the wire accepts', () => {
    const s = read(`${RICOH_HEAD}${OID.ricohFirmwareVersion}.0|4|${'9'.repeat(2000)}`);
    expect(s.identity.firmware).toHaveLength(512);
    expect(() => DeviceSnapshot.parse(s)).not.toThrow();
  });
});
