import { readFileSync, readdirSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeIppResponse, printerAttributes, type IppAttribute, type IppValue } from '../../../agent/collect/ipp/ippMessage.js';
import { normaliseIpp } from '../../../agent/normalise/ipp/ippPrinter.js';
import { DeviceSnapshot } from '../../../shared/snapshot.js';
import { CORPUS_DIR, REPO_ROOT } from '../../harness/repo.js';

const IPP_DIR = resolve(CORPUS_DIR, 'ipp');
const GOLDEN_DIR = resolve(REPO_ROOT, 'test/golden/ipp');
const ADDRESS = 'ipp://printer.test:631/ipp/print';
const AT = '2026-03-02T08:00:00.000Z';

interface Golden {
  capture: string;
  problems: string[];
  snapshot: unknown;
}

const goldens = readdirSync(GOLDEN_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, ...(JSON.parse(readFileSync(resolve(GOLDEN_DIR, f), 'utf8')) as Golden) }));

function captures(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? captures(resolve(dir, e.name)) : /\.(bin|res|ipp)$/.test(e.name) ? [relative(IPP_DIR, resolve(dir, e.name))] : [],
  );
}

function normaliseCapture(capture: string) {
  const { attributes } = printerAttributes(decodeIppResponse(readFileSync(resolve(IPP_DIR, capture))));
  return normaliseIpp({ address: ADDRESS, collectedAt: AT, attributes });
}

describe('IPP normaliser over every corpus capture (golden snapshots written from the listings)', () => {
  it('has a golden snapshot for each capture in ../shared/corpus/ipp', () => {
    expect(goldens.map((g) => g.capture).sort()).toEqual(captures(IPP_DIR).sort());
  });

  it.each(goldens.map((g) => [g.file, g] as const))('%s', (_file, golden) => {
    const { snapshot, problems } = normaliseCapture(golden.capture);
    expect(DeviceSnapshot.parse(snapshot)).toEqual(snapshot);
    expect(snapshot).toEqual(golden.snapshot);
    expect(problems).toEqual(golden.problems);
  });
});

// Hand-built attribute maps for the rules the captures do not cover.
const s = (value: string): IppValue => ({ kind: 'string', tag: 0x44, value });
const n = (value: number): IppValue => ({ kind: 'integer', tag: 0x21, value });
function attrs(entries: Record<string, IppValue[]>): ReadonlyMap<string, IppAttribute> {
  return new Map(Object.entries(entries).map(([name, values]) => [name, { name, values }]));
}
const normalise = (entries: Record<string, IppValue[]>) => normaliseIpp({ address: ADDRESS, collectedAt: AT, attributes: attrs(entries) });

describe('IPP normaliser rules', () => {
  it('maps printer-state to status, warmup and warning included', () => {
    expect(normalise({ 'printer-state': [n(4)] }).snapshot.status).toBe('printing');
    expect(normalise({ 'printer-state': [n(5)] }).snapshot.status).toBe('down');
    expect(normalise({ 'printer-state': [n(3)], 'printer-state-reasons': [s('subunit-warming-up')] }).snapshot.status).toBe('warmup');
    expect(normalise({ 'printer-state': [n(3)], 'printer-state-reasons': [s('media-low-warning')] }).snapshot.status).toBe('warning');
    expect(normalise({ 'printer-state': [n(3)], 'printer-state-reasons': [s('toner-low-report')] }).snapshot.status).toBe('idle');
    const missing = normalise({});
    expect(missing.snapshot.status).toBe('unknown');
    expect(missing.problems).toEqual(['printer-state missing: status unknown']);
  });

  it('lets the keyword suffix decide severity and keeps unknown vendor keywords as raw faults', () => {
    const { faults } = normalise({
      'printer-state': [n(5)],
      'printer-state-reasons': [s('media-jam-error'), s('cover-open-warning'), s('media-low-report'), s('com.acme-widget-wobble-error'), s('none')],
    }).snapshot;
    expect(faults.map((f) => [f.code, f.severity, f.rawCode])).toEqual([
      ['jam', 'critical', 'media-jam-error'],
      ['door.open', 'warning', 'cover-open-warning'],
      ['paper.low', 'info', 'media-low-report'],
      ['unclassified', 'critical', 'com.acme-widget-wobble-error'],
    ]);
  });

  it('reads marker-levels special values without inventing percentages', () => {
    const { supplies } = normalise({
      'printer-state': [n(3)],
      'marker-names': [s('Black'), s('Cyan'), s('Magenta'), s('Yellow')],
      'marker-types': [s('toner'), s('toner'), s('toner'), s('toner')],
      'marker-levels': [n(-1), n(-2), n(-3), n(0)],
    }).snapshot;
    expect(supplies.map((x) => [x.levelPercent, x.state])).toEqual([
      [null, 'ok'],
      [null, 'unknown'],
      [null, 'someRemaining'],
      [0, 'empty'],
    ]);
  });

  it('tells print heads and ink tanks apart from toner', () => {
    const { supplies, faults } = normalise({
      'printer-state': [n(3)],
      'printer-supply': [
        s('index=1;class=supplyThatIsConsumed;type=other;unit=percent;maxcapacity=100;level=0;colorantname=unknown;'),
        s('index=2;class=supplyThatIsConsumed;type=ink;unit=percent;maxcapacity=100;level=5;colorantname=cyan;'),
        s('index=3;class=supplyThatIsConsumed;type=tonerCartridge;unit=percent;maxcapacity=100;level=50;colorantname=black;'),
      ],
      'printer-supply-description': [s('Printhead'), s('Cyan Ink Tank'), s('Black Toner')],
    }).snapshot;
    expect(supplies.map((x) => x.kind)).toEqual(['printhead', 'ink', 'toner']);
    expect(faults.map((f) => [f.code, f.subunit?.index])).toEqual([
      ['supply.empty', 1],
      ['ink.low', 2],
    ]);
  });

  it('reads a waste receptacle the RFC 3805 way unless the device says it is full (ippeveprinter)', () => {
    const supply = s('index=1;class=receptacleThatIsFilled;type=wasteToner;unit=percent;maxcapacity=100;level=95;colorantname=unknown;');
    const rfc = normalise({ 'printer-state': [n(3)], 'printer-supply': [supply] }).snapshot.supplies[0];
    expect([rfc?.levelPercent, rfc?.state]).toEqual([5, 'ok']);
    const quirk = normalise({ 'printer-state': [n(3)], 'printer-supply': [supply], 'printer-state-reasons': [s('marker-waste-almost-full-report')] }).snapshot;
    expect([quirk.supplies[0]?.levelPercent, quirk.supplies[0]?.state]).toEqual([95, 'nearFull']);
    expect(quirk.faults.map((f) => [f.code, f.severity, f.source])).toEqual([['waste.nearFull', 'warning', 'supply']]);
  });

  it('maps print-head and ink keywords from vendors and descriptions of other/unknown alerts', () => {
    const { faults } = normalise({
      'printer-state': [n(5)],
      'printer-state-reasons': [s('com.hp.printhead-failure-error'), s('com.example.ink-cartridge-missing-error')],
      'printer-alert': [
        s('code=other;severity=critical;group=marker'),
        s('code=unknown;severity=warning;group=markerSupplies;groupindex=2'),
        s('code=markerInkEmpty;severity=critical;group=markerSupplies;groupindex=3'),
      ],
      'printer-alert-description': [s('Ink system failure 0xC19A0013'), s('Cyan ink low'), s('Replace magenta cartridge')],
    }).snapshot;
    expect(faults.map((f) => [f.code, f.severity, f.source])).toEqual([
      ['inkSystem.fault', 'critical', 'ippAlert'],
      ['ink.low', 'warning', 'ippAlert'],
      ['ink.empty', 'critical', 'ippAlert'],
      ['printhead.fault', 'critical', 'ippStateReason'],
      ['supply.missing', 'critical', 'ippStateReason'],
    ]);
  });

  it('builds identity from the device id, and from make-and-model when there is none', () => {
    const { identity } = normalise({
      'printer-state': [n(3)],
      'printer-uuid': [{ kind: 'string', tag: 0x45, value: 'urn:uuid:AB6CC9F4-0000-1000-8000-001122334455' }],
      'printer-device-id': [s('MANUFACTURER:Hewlett-Packard;MODEL:HP LaserJet M404;SERN:PHB1234567;')],
      'printer-location': [s('  ')],
    }).snapshot;
    expect(identity).toEqual({ vendor: 'HP', model: 'HP LaserJet M404', serial: 'PHB1234567', uuid: 'ab6cc9f4-0000-1000-8000-001122334455' });
  });

  it('reads out-of-band and language-tagged values as absent / as text', () => {
    const { identity } = normalise({
      'printer-state': [n(3)],
      'printer-make-and-model': [{ kind: 'string', tag: 0x35, value: 'Brother MFC-L2750DW', language: 'pl' }],
      'printer-location': [{ kind: 'outOfBand', tag: 0x13, value: 'no-value' }],
    }).snapshot;
    expect(identity).toEqual({ vendor: 'Brother', model: 'MFC-L2750DW' });
  });

  it('takes page counters when the printer gives them', () => {
    const { counters } = normalise({ 'printer-state': [n(3)], 'printer-impressions-completed': [n(123456)], 'printer-pages-completed': [n(-1)] }).snapshot;
    expect(counters).toEqual({ total: 123456 });
  });
});
