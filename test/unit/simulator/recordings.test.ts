import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENUMS, OID } from '../../../mibs/oids.generated.js';
import { encodeValue } from '../../../agent/simulator/ber.js';
import { activeFaults } from '../../../agent/simulator/deviceFaults.js';
import { indexFaults } from '../../../agent/simulator/faultHistory.js';
import { renderIppAttributes } from '../../../agent/simulator/ippView.js';
import { buildMibTable } from '../../../agent/simulator/mibTable.js';
import { errorBitsOf, octetText, recordedDevice } from '../../../agent/simulator/recordedDevice.js';
import { applyScenario, parseScenario } from '../../../agent/simulator/scenario.js';
import { parseSnmprec } from '../../../agent/simulator/snmprec.js';
import { renderSnmpRows } from '../../../agent/simulator/snmpView.js';
import { CORPUS_DIR } from '../../harness/repo.js';

const DIR = join(CORPUS_DIR, 'snmprec');
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.snmprec'))
  .sort();
const ctx = { uptimeAtStart: 0, elapsedMs: () => 0, alertEvents: { all: 0, critical: 0 } };

function load(name: string) {
  const { rows, problems } = parseSnmprec(readFileSync(join(DIR, `${name}.snmprec`), 'utf8'));
  return { rows, problems, state: recordedDevice(name, `${name}.snmprec`, rows) };
}

describe('snmprec parsing', () => {
  it('decodes every type code, hex values included', () => {
    const { rows, problems } = parseSnmprec(
      [
        '1.3.6.1.2.1.1.1.0|4|plain text',
        '1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.11',
        '1.3.6.1.2.1.1.3.0|67|123',
        '1.3.6.1.2.1.1.4.0|4x|e9bb91e889b2',
        '1.3.6.1.2.1.4.20.1.1.1|64|10.0.0.1',
        '1.3.6.1.2.1.4.20.1.1.2|64x|0a000002',
        '1.3.6.1.2.1.2.2.1.10.1|65|4294967295',
        '1.3.6.1.2.1.2.2.1.5.1|66|100',
        '1.3.6.1.2.1.31.1.1.1.6.1|70|18446744073709551615',
        '1.3.6.1.2.1.99.0|5|',
        '1.3.6.1.2.1.43.11.1.1.9.1.1|2|-3',
      ].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(rows.map(([, v]) => v.type)).toEqual([
      'OctetString',
      'OID',
      'TimeTicks',
      'OctetString',
      'IpAddress',
      'IpAddress',
      'Counter32',
      'Gauge32',
      'Counter64',
      'Null',
      'Integer',
    ]);
    expect(rows[3]![1].type === 'OctetString' && rows[3]![1].value.toString('utf8')).toBe('黑色');
    expect(rows[5]![1]).toEqual({ type: 'IpAddress', value: '10.0.0.2' });
    expect(rows[8]![1]).toEqual({ type: 'Counter64', value: 18446744073709551615n });
  });

  it('reports bad lines with their number and keeps the rest', () => {
    const { rows, problems } = parseSnmprec(
      '1.3.6.1.2.1.1.1.0|4|ok\nnot a line\n1.3.6.1.2.1.1.3.0|67|abc\n1.3.6.1.2.1.1.5.0|2:numeric|1\n1.3.6.1.2.1.1.6.0|4x|abc\n1.3.6.1.2.1.1.7.0|2|72',
    );
    expect(rows.map(([oid]) => oid)).toEqual(['1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.7.0']);
    expect(problems.map((p) => p.line)).toEqual([2, 3, 4, 5]);
    expect(problems[2]!.message).toMatch(/variation modules are not simulated/);
    expect(problems[1]!.message).toMatch(/TimeTicks expects an integer/);
  });

  it('parses every corpus recording; only okilan has an unusable line (a corrupt Counter32)', () => {
    const problems = FILES.flatMap((f) => parseSnmprec(readFileSync(join(DIR, f), 'utf8')).problems.map((p) => `${f}:${p.line}`));
    expect(problems).toEqual(['okilan_9450g.snmprec:23']);
  });
});

describe('recorded devices', () => {
  it('serve every recorded OID with the recorded value when no scenario changes anything', () => {
    for (const file of FILES) {
      const name = file.replace(/\.snmprec$/, '');
      const { rows, state } = load(name);
      const faults = indexFaults(activeFaults(state));
      const table = buildMibTable(renderSnmpRows(state, faults, { ...ctx, uptimeAtStart: 0 }));
      const served = new Map(table.entries.map((e) => [e.dotted, e]));
      const firstValue = new Map<string, (typeof rows)[number][1]>();
      for (const [oid, v] of rows) if (!firstValue.has(oid)) firstValue.set(oid, v);
      for (const [oid, value] of firstValue) {
        const entry = served.get(oid.split('.').map(Number).join('.'));
        expect(entry, `${file}: ${oid} missing`).toBeDefined();
        expect(encodeValue(entry!.value).equals(encodeValue(value)), `${file}: ${oid} changed`).toBe(true);
      }
      // Nothing added either: an unchanged recording is served as recorded.
      expect(table.entries.length, file).toBe(firstValue.size);
    }
  });

  it('read supplies, error bits and identity out of the recording', () => {
    const konica = load('konica_c250i').state;
    expect([...konica.conditions.keys()]).toEqual(['serviceRequested']);
    expect(konica.identity.manufacturer).toBe('KONICA MINOLTA');
    expect(konica.supplies.map((s) => s.index)).toEqual([1, 2, 3, 4, 13]);
    const waste = konica.supplies.find((s) => s.index === 13)!;
    expect([waste.family, waste.receptacle, waste.level, waste.max]).toEqual(['waste', true, -3, -2]);

    const canon = load('canonprinter_tm').state;
    const wasteInk = canon.supplies.find((s) => s.type === ENUMS.PrtMarkerSuppliesTypeTC.wasteInk)!;
    expect([wasteInk.receptacle, wasteInk.level, wasteInk.max]).toEqual([true, 6030, 6700]);

    const ricoh = load('ricoh_mpc2503').state;
    expect(ricoh.supplies.map((s) => s.description)).toContain('黑色碳粉');
    expect(load('samsungprinter_m4080fx').state.conditions.has('lowPaper')).toBe(true);
    expect(load('sharp').state.conditions.has('lowToner')).toBe(true);
    expect(load('epson').state.recording?.errorStateOctets).toBe(0);
  });

  it('derive the IPP view from the SNMP data (sharp: lowToner bit → toner-low-warning; magenta at 19 %)', () => {
    const sharp = load('sharp').state;
    const attrs = renderIppAttributes(sharp, indexFaults(activeFaults(sharp)), {
      printerUri: 'ipp://127.0.0.1:1/ipp/print/sharp',
      upTimeSeconds: 5,
      uptimeAtStart: 0,
    });
    expect(attrs['printer-state-reasons']).toEqual(['toner-low-warning']);
    expect(attrs['printer-state']).toBe('idle');
    const names = attrs['marker-names'] as string[];
    const levels = attrs['marker-levels'] as number[];
    expect(levels[names.findIndex((n) => /magenta/i.test(n))]).toBe(19);
    // hrDeviceDescr already names the maker, so it is not repeated.
    expect(attrs['printer-make-and-model']).toBe('SHARP MX-3570N');
  });

  it('show a scenario jam on a recording in both views, and only then add alert rows', () => {
    const { state } = load('jetdirect_m880');
    const scenario = parseScenario({ name: 'j', events: [{ action: 'raise', condition: 'jammed', at: '30s' }] }, 'test');
    const jammed = applyScenario(state, scenario, { id: 'jetdirect_m880', ordinal: 0, model: state.model }, 31_000);
    const faults = indexFaults(activeFaults(jammed));
    const table = buildMibTable(renderSnmpRows(jammed, faults, { ...ctx, alertEvents: { all: 1, critical: 1 } }));
    const get = (oid: string) => table.entries.find((e) => e.dotted === oid)?.value;
    expect(get(`${OID.hrPrinterDetectedErrorState}.1`)).toEqual({ type: 'OctetString', value: Buffer.from([0x04]) });
    expect(get(`${OID.hrDeviceStatus}.1`)).toEqual({ type: 'Integer', value: ENUMS.hrDeviceStatus.down });
    expect(get(`${OID.prtAlertCode}.1.1`)).toEqual({ type: 'Integer', value: ENUMS.PrtAlertCodeTC.jam });
    expect(get(`${OID.prtAlertGroup}.1.1`)).toEqual({ type: 'Integer', value: ENUMS.PrtAlertGroupTC.mediaPath });
    const ipp = renderIppAttributes(jammed, faults, { printerUri: 'ipp://x/ipp/print/j', upTimeSeconds: 31, uptimeAtStart: 0 });
    expect(ipp['printer-state']).toBe('stopped');
    expect(ipp['printer-state-reasons']).toEqual(['media-jam-error']);
    expect((ipp['printer-alert'] as string[])[0]).toMatch(/^code=jam;index=1;severity=critical;training=untrained;group=mediaPath;/);
  });
});

describe('octet text', () => {
  it('decodes UTF-8 when valid, Latin-1 otherwise, and drops trailing NULs', () => {
    expect(octetText(Buffer.from('Black Cartridge\0\0'))).toBe('Black Cartridge');
    expect(octetText(Buffer.from([0x53, 0xe9, 0x72]))).toBe('Sér');
    expect(octetText(Buffer.from('洋紅色碳粉'))).toBe('洋紅色碳粉');
  });

  it('reads error bits MSB-first from octets of any length', () => {
    expect(errorBitsOf(Buffer.alloc(0))).toEqual([]);
    expect(errorBitsOf(Buffer.from([0x80]))).toEqual(['lowPaper']);
    expect(errorBitsOf(Buffer.from([0x05, 0x02]))).toEqual(['jammed', 'serviceRequested', 'overduePreventMaint']);
  });
});
