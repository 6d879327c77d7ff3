/**
 * The meter export (pure): rows of a period and of a range of periods from hand-made period
 * records, each counter value with its source and confidence, the missing-meter flag, and the
 * CSV (Polish dialect, escaping, chunks that add up to the same document as csvDocument).
 */
import { describe, expect, it } from 'vitest';
import { csvDocument } from '../../../server/api/csv.js';
import { BillingSettings } from '../../../server/meters/billingPeriod.js';
import type { MeterPeriod } from '../../../server/meters/meterLedger.js';
import {
  indexPeriodRecords,
  METER_CSV_HEADER,
  meterCsvRow,
  meterExportRows,
  meterJsonChunks,
  periodRange,
  valueOrigin,
  type MeterDeviceInfo,
  type MeterExportInput,
  type MeterExportRow,
} from '../../../server/meters/meterExport.js';
import { meterCsvBytes } from '../../../server/meters/meterCsv.js';

const settings = BillingSettings.parse({ day: 1, timeZone: 'Europe/Warsaw' });
const at = (s: string) => Date.parse(s);
const KEY = 'acme/SN1';
const exact = (source: string) => ({ source, confidence: 'exact' as const });

// Periods 2026-10, -11 and -12 of one device, written out by hand (the ledger's output shape).
const oct: MeterPeriod = {
  deviceKey: KEY,
  customerId: 'acme',
  period: '2026-10',
  opening: {
    at: at('2026-10-01T06:00:00Z'),
    counters: { total: 700, mono: 650 },
    source: 'agent:acme/krakow',
    origins: { total: exact('prtMarkerLifeCount.1.1'), mono: exact('hpPageCounters.6.0') },
  },
  usage: { total: 300, mono: 250 },
  flags: [],
};
const nov: MeterPeriod = {
  deviceKey: KEY,
  customerId: 'acme',
  period: '2026-11',
  opening: {
    at: at('2026-11-02T10:00:00Z'),
    counters: { total: 1000, mono: 900, color: 100, 'print.color.large': 100, sincePowerOn: 4 },
    source: 'agent:acme/krakow',
    origins: {
      total: exact('printer-impressions-completed'),
      mono: exact('hpPageCounters.6.0'),
      color: { source: 'derived:total-mono', confidence: 'derived' },
      'print.color.large': exact('sharpCounterValue.1.4.63'),
    },
  },
  usage: { total: 300, mono: 260, color: 40, 'print.color.large': 40, sincePowerOn: 5 },
  flags: [{ at: at('2026-11-20T10:00:00Z'), flag: 'reset', key: 'mono', detail: 'mono: 990 → 12' }],
  confirmation: { by: 'acme-viewer', at: at('2026-12-03T10:00:00Z') },
};
const dec: MeterPeriod = {
  deviceKey: KEY,
  customerId: 'acme',
  period: '2026-12',
  opening: {
    at: at('2026-11-30T23:10:00Z'),
    counters: { total: 1300, mono: 272, color: 140, 'print.color.large': 140, sincePowerOn: 9 },
    source: 'manual:tech-anna',
  },
  usage: {},
  flags: [],
};
const devices = new Map<string, MeterDeviceInfo>([[KEY, { deviceKey: KEY, customerId: 'acme', serial: 'SN1', model: 'MX-3070; "A3"' }]]);

function rows(from: string, to: string, records: MeterPeriod[], now = at('2027-02-01T00:00:00Z')): MeterExportRow[] {
  const periods = periodRange(from, to)!;
  return [...meterExportRows({ periods, records: indexPeriodRecords(records, periods), devices, settingsFor: () => settings, now })];
}

describe('meter export rows', () => {
  it('usage, weight and billed units per counter; informational counters carry no weight', () => {
    const out = rows('2026-11', '2026-11', [oct, nov, dec]);
    expect(out.map((r) => [r.counter, r.opening, r.closing, r.usage, r.weight, r.billedUnits, r.flags])).toEqual([
      ['color', 100, 140, 40, 1, 40, []],
      ['mono', 900, 272, 260, 1, 260, ['reset']],
      ['print.color.large', 100, 140, 40, 2, 80, []],
      ['sincePowerOn', 4, 9, 5, null, null, []],
      ['total', 1000, 1300, 300, 1, 300, []],
    ]);
  });

  it('each value says where it came from and how exact it is', () => {
    const byCounter = new Map(rows('2026-11', '2026-11', [nov, dec]).map((r) => [r.counter, r]));
    expect(byCounter.get('total')).toMatchObject({
      openingSource: 'agent:acme/krakow',
      openingCounterSource: 'IPP printer-impressions-completed',
      openingConfidence: 'exact',
      // December opens with a technician's reading, not (yet) confirmed by the customer.
      closingCounterSource: 'manual',
      closingConfidence: 'estimated',
    });
    expect(byCounter.get('mono')).toMatchObject({ openingCounterSource: 'vendor hpPageCounters.6.0', openingConfidence: 'exact' });
    expect(byCounter.get('color')).toMatchObject({ openingCounterSource: 'derived total-mono', openingConfidence: 'derived' });
    expect(byCounter.get('print.color.large')).toMatchObject({ openingCounterSource: 'vendor sharpCounterValue.1.4.63' });
    // Read but with no origin recorded (an older reading): the source is the agent, the confidence unknown.
    expect(byCounter.get('sincePowerOn')).toMatchObject({ openingCounterSource: 'agent', openingConfidence: null });
  });

  it('a manual reading the customer confirmed is exact; Printer-MIB is named', () => {
    const decConfirmed: MeterPeriod = { ...dec, confirmation: { by: 'acme-viewer', at: at('2026-12-02T08:00:00Z') } };
    const total = rows('2026-11', '2026-11', [nov, decConfirmed]).find((r) => r.counter === 'total');
    expect(total).toMatchObject({ closingCounterSource: 'customer-confirmed manual', closingConfidence: 'exact' });
    expect(valueOrigin(oct.opening!, 'total', false)).toEqual({ source: 'Printer-MIB prtMarkerLifeCount.1.1', confidence: 'exact' });
  });

  it('no closing snapshot after the period ended: missing meter; before its end: nothing yet', () => {
    expect(rows('2026-12', '2026-12', [dec])[0]?.flags).toEqual(['missingMeter']);
    expect(rows('2026-12', '2026-12', [dec], at('2026-12-20T00:00:00Z'))[0]?.flags).toEqual([]);
  });

  it('a range gives each period with its own closing snapshot, oldest first', () => {
    const out = rows('2026-10', '2026-12', [dec, nov, oct]);
    expect(out.filter((r) => r.counter === 'total').map((r) => [r.period, r.opening, r.closing, r.usage])).toEqual([
      ['2026-10', 700, 1000, 300],
      ['2026-11', 1000, 1300, 300],
      ['2026-12', 1300, null, null],
    ]);
    // The range equals its periods exported one by one.
    expect(out).toEqual([...rows('2026-10', '2026-10', [oct, nov]), ...rows('2026-11', '2026-11', [nov, dec]), ...rows('2026-12', '2026-12', [dec])]);
  });

  it('a fleet device without a reading in a period: one noReading row, no counter, no zeros; not before the fleet saw it', () => {
    const fleet = new Map<string, MeterDeviceInfo>([
      ...devices,
      ['acme/NEW', { deviceKey: 'acme/NEW', customerId: 'acme', serial: 'NEW', firstSeen: at('2026-11-15T00:00:00Z') }],
    ]);
    const periods = periodRange('2026-10', '2026-12')!;
    // SN1 reported in October and December only.
    const out = [
      ...meterExportRows({
        periods,
        records: indexPeriodRecords([oct, dec], periods),
        devices: fleet,
        settingsFor: () => settings,
        now: at('2027-02-01T00:00:00Z'),
      }),
    ];
    const blank = { opening: null, closing: null, usage: null, weight: null, billedUnits: null, openingConfidence: null, closingConfidence: null };
    expect(out.filter((r) => r.counter === null)).toEqual([
      expect.objectContaining({ period: '2026-11', deviceKey: 'acme/NEW', serial: 'NEW', flags: ['noReading'], ...blank }),
      expect.objectContaining({ period: '2026-11', deviceKey: KEY, flags: ['noReading'], ...blank }),
      expect.objectContaining({ period: '2026-12', deviceKey: 'acme/NEW', flags: ['noReading'], ...blank }),
    ]);
    // A period that has not begun lists no device without a reading.
    const later = periodRange('2027-03', '2027-03')!;
    expect([...meterExportRows({ periods: later, records: new Map(), devices: fleet, settingsFor: () => settings, now: at('2027-02-01T00:00:00Z') })]).toEqual(
      [],
    );
    // October's reading has no closing one: its usage so far, flagged missing.
    expect(out.find((r) => r.period === '2026-10' && r.counter === 'total')).toMatchObject({ opening: 700, closing: null, flags: ['missingMeter'] });
  });

  it('the streamed JSON is the document of the rows, in any chunk size', () => {
    const periods = periodRange('2026-10', '2026-12')!;
    // Quotes, a line break, Polish letters and a backslash in the texts; a device never read; flags; a decimal weight.
    const fleet = new Map<string, MeterDeviceInfo>([...devices, ['acme/ŁÓDŹ "1"', { deviceKey: 'acme/ŁÓDŹ "1"', customerId: 'acme', model: 'Żółw\nA3 \\ x' }]]);
    const input = {
      periods,
      records: indexPeriodRecords([oct, nov, dec], periods),
      devices: fleet,
      settingsFor: () => ({ ...settings, largeWeight: 1.5 }),
      now: at('2027-02-01T00:00:00Z'),
    };
    const whole = JSON.stringify({ from: '2026-10', to: '2026-12', rows: [...meterExportRows(input)] });
    expect(whole).toContain('"flags":["noReading"]');
    expect(whole).toContain('"weight":1.5');
    for (const size of [1, 300, 1 << 20]) expect(Buffer.concat([...meterJsonChunks(input, '2026-10', '2026-12', size)]).toString('utf8')).toBe(whole);
    expect(JSON.parse(Buffer.concat([...meterJsonChunks({ ...input, devices: new Map(), records: new Map() }, 'x', 'y')]).toString())).toEqual({
      from: 'x',
      to: 'y',
      rows: [],
    });
  });

  it('period ranges: both ends included, across a year end; backwards or over 36 periods refused', () => {
    expect(periodRange('2026-11', '2027-02')).toEqual(['2026-11', '2026-12', '2027-01', '2027-02']);
    expect(periodRange('2026-11', '2026-11')).toEqual(['2026-11']);
    expect(periodRange('2026-11', '2026-10')).toBeNull();
    expect(periodRange('2026-01', '2028-12')).toHaveLength(36);
    expect(periodRange('2026-01', '2029-01')).toBeNull();
  });
});

describe('meter CSV', () => {
  const csvOf = (input: MeterExportInput, dialect: 'pl' | 'en' = 'pl', chunkBytes?: number) =>
    Buffer.concat([...meterCsvBytes(input, dialect, chunkBytes)]).toString('utf8');
  const inputOf = (from: string, to: string, records: MeterPeriod[], devs = devices, s = settings): MeterExportInput => {
    const periods = periodRange(from, to)!;
    return { periods, records: indexPeriodRecords(records, periods), devices: devs, settingsFor: () => s, now: at('2027-02-01T00:00:00Z') };
  };
  const rekey = (r: MeterPeriod, deviceKey: string): MeterPeriod => ({ ...r, deviceKey });

  it('Polish dialect: semicolons, decimal commas, quotes doubled, formulas defused', () => {
    const odd = '=HYPERLINK("x")';
    const oddDevices = new Map([[odd, { ...devices.get(KEY)!, deviceKey: odd }]]);
    const lines = csvOf(inputOf('2026-11', '2026-11', [rekey(nov, odd), rekey(dec, odd)], oddDevices))
      .slice(1)
      .split('\r\n');
    expect(lines[0]).toBe(
      'customer;device;serial;model;period;counter;opening_at;opening;opening_source;opening_counter_source;opening_confidence;' +
        'closing_at;closing;closing_counter_source;closing_confidence;usage;weight;billed_units;flags;confirmed_by',
    );
    expect(lines[3]).toBe(
      `acme;"'=HYPERLINK(""x"")";SN1;"MX-3070; ""A3""";2026-11;print.color.large;2026-11-02T10:00:00.000Z;100;agent:acme/krakow;` +
        `vendor sharpCounterValue.1.4.63;exact;2026-11-30T23:10:00.000Z;140;manual;estimated;40;2;80;;acme-viewer`,
    );
    const halves = csvOf(inputOf('2026-11', '2026-11', [nov, dec], devices, { ...settings, largeWeight: 1.5 }));
    expect(halves).toContain(';40;1,5;60;');
    expect(csvOf(inputOf('2026-11', '2026-11', [nov, dec], devices, { ...settings, largeWeight: 1.5 }), 'en')).toContain(',40,1.5,60,');
  });

  it('a source or flag holding the delimiter, a quote or a line break is quoted', () => {
    const odd: MeterPeriod = {
      ...nov,
      opening: { ...nov.opening!, origins: { color: exact('a;b'), mono: exact('say "x"\nnext') } },
      flags: [...nov.flags, { at: at('2026-11-21T10:00:00Z'), flag: 'wrapped', key: 'mono', detail: '' }],
    };
    const text = csvOf(inputOf('2026-11', '2026-11', [odd, dec]));
    expect(text).toContain(';"vendor a;b";exact;');
    expect(text).toContain(';"vendor say ""x""\nnext";exact;');
    expect(text).toContain(';reset wrapped;');
    expect(csvOf(inputOf('2026-11', '2026-11', [odd, dec]), 'en')).toContain(',vendor a;b,exact,');
  });

  it('the bytes are the document csvDocument writes from the rows, on varied data, in both dialects and any chunk size', () => {
    // Polish letters, separators, quotes and line breaks in every kind of text cell; missing serials and
    // models; a decimal weight; devices without any reading; flags; manual and confirmed readings.
    const texts = ['Łódź; ul. Żółkiewskiego', 'say "cześć"', 'two\nlines', '', '+48 12', 'plain', 'ąęśćźżółń', 'x,y'];
    const records: MeterPeriod[] = [];
    const devs = new Map<string, MeterDeviceInfo>();
    for (let i = 0; i < 16; i++) {
      const key = `acme/${texts[i % texts.length]}-${i}`;
      devs.set(key, {
        deviceKey: key,
        customerId: i % 3 === 0 ? 'Przedsiębiorstwo "A"' : 'acme',
        ...(i % 4 !== 1 ? { serial: texts[(i + 1) % texts.length] } : {}),
        ...(i % 5 !== 2 ? { model: texts[(i + 2) % texts.length] } : {}),
        ...(i === 15 ? { firstSeen: at('2026-12-15T00:00:00Z') } : {}),
      });
      if (i % 7 === 6) continue; // never reported a meter
      for (const r of [oct, nov, dec]) {
        if (i % 4 === 3 && r === nov) continue; // silent through November
        const conf = i % 2 === 0 && r.confirmation ? { confirmation: { by: texts[i % texts.length]!, at: r.confirmation.at } } : {};
        const { confirmation: _c, ...base } = r;
        records.push({
          ...base,
          ...conf,
          deviceKey: key,
          customerId: devs.get(key)!.customerId,
          opening: { ...r.opening!, counters: { ...r.opening!.counters, total: r.opening!.counters.total! + i * 1_000_003 }, source: `agent:${texts[i % 8]}` },
          flags: i % 5 === 0 ? [...r.flags, { at: r.opening!.at, flag: 'absurdJump', detail: 'x' }] : r.flags,
        });
      }
    }
    const weighted = { ...settings, largeWeight: 1.25 };
    for (const dialect of ['pl', 'en'] as const) {
      const input = inputOf('2026-10', '2027-01', records, devs, weighted);
      const reference = csvDocument(METER_CSV_HEADER, [...meterExportRows(input)].map(meterCsvRow), dialect);
      // Every kind of row is there: read, never read, silent in a period, flagged.
      expect(reference).toContain('noReading');
      expect(reference).toContain('missingMeter');
      expect(reference).toContain('absurdJump');
      expect(reference).toContain(dialect === 'pl' ? ';1,25;' : ',1.25,');
      for (const chunkBytes of [1, 100, 256 * 1024]) {
        const chunks = [...meterCsvBytes(input, dialect, chunkBytes)];
        expect(Buffer.concat(chunks).equals(Buffer.from(reference, 'utf8'))).toBe(true);
        // Chunks end at line ends: with a tiny chunk size each device period is one (the header rides with the first).
        if (chunkBytes === 1)
          expect(chunks.length).toBe(
            [...meterExportRows(input)].filter((r, i, all) => i === 0 || r.deviceKey !== all[i - 1]!.deviceKey || r.period !== all[i - 1]!.period).length,
          );
        expect(chunks.every((c) => c.subarray(-2).toString() === '\r\n')).toBe(true);
      }
    }
    const empty = inputOf('2026-11', '2026-11', [], new Map());
    expect(csvOf(empty)).toBe(csvDocument(METER_CSV_HEADER, [], 'pl'));
  });
});
