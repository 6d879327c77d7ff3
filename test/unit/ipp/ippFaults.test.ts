import { describe, expect, it } from 'vitest';
import { alertFaults, reasonFaults } from '../../../agent/normalise/ipp/ippFaults.js';
import { parsePrinterAlerts, stripArrayPrefix } from '../../../agent/normalise/ipp/printerAlert.js';
import { classifyReason, parseReason } from '../../../agent/normalise/ipp/stateReasons.js';

describe('printer-state-reasons', () => {
  it('splits the suffix off the keyword', () => {
    expect(parseReason('Media-Jam-Error')).toEqual({ keyword: 'media-jam-error', base: 'media-jam', suffix: 'error' });
    expect(parseReason('paused')).toEqual({ keyword: 'paused', base: 'paused', suffix: null });
  });

  it.each([
    // RFC 8011 keywords
    ['media-empty-error', 'paper.empty', 'critical'],
    ['media-needed-warning', 'paper.empty', 'warning'],
    ['media-low-report', 'paper.low', 'info'],
    ['media-jam-error', 'jam', 'critical'],
    ['cover-open-error', 'door.open', 'critical'],
    ['door-open-warning', 'door.open', 'warning'],
    ['interlock-open-error', 'door.open', 'critical'],
    ['input-tray-missing-error', 'input.trayMissing', 'critical'],
    ['output-tray-missing-error', 'output.trayMissing', 'critical'],
    ['output-area-almost-full-warning', 'output.nearFull', 'warning'],
    ['output-area-full-error', 'output.full', 'critical'],
    ['toner-low-warning', 'toner.low', 'warning'],
    ['toner-empty-error', 'toner.empty', 'critical'],
    ['marker-supply-low-warning', 'supply.low', 'warning'],
    ['marker-supply-empty-error', 'supply.empty', 'critical'],
    ['marker-waste-almost-full-warning', 'waste.nearFull', 'warning'],
    ['marker-waste-full-error', 'waste.full', 'critical'],
    ['developer-low-warning', 'developer.low', 'warning'],
    ['opc-near-eol-warning', 'drum.nearEnd', 'warning'],
    ['opc-life-over-error', 'drum.end', 'critical'],
    ['fuser-over-temp-error', 'fuser.fault', 'critical'],
    ['fuser-under-temp-warning', 'fuser.fault', 'warning'],
    ['spool-area-full-report', 'spool.full', 'info'],
    ['offline-report', 'offline', 'info'],
    ['shutdown-error', 'offline', 'critical'],
    ['other-warning', 'unclassified', 'warning'],
    // PWG 5100.9
    ['marker-ink-almost-empty-warning', 'ink.low', 'warning'],
    ['marker-ink-empty-error', 'ink.empty', 'critical'],
    ['marker-supply-missing-error', 'supply.missing', 'critical'],
    ['marker-toner-cartridge-missing-error', 'supply.missing', 'critical'],
    ['marker-waste-ink-receptacle-full-error', 'waste.full', 'critical'],
    ['marker-waste-toner-receptacle-almost-full-warning', 'waste.nearFull', 'warning'],
    ['media-path-input-jam-error', 'jam', 'critical'],
    ['media-path-pick-roller-life-warn-warning', 'maintenance.due', 'warning'],
    ['stapler-empty-warning', 'staples.empty', 'warning'],
    ['stitcher-almost-empty-warning', 'staples.low', 'warning'],
    ['folder-jam-error', 'jam', 'critical'],
    ['stacker-full-error', 'output.full', 'critical'],
    ['puncher-cover-open-error', 'door.open', 'critical'],
    ['subunit-missing-error', 'supply.missing', 'critical'],
    ['subunit-unrecoverable-failure-error', 'hardware.fault', 'critical'],
    ['camera-failure-warning', 'scanner.fault', 'warning'],
    // Vendor keywords: print heads and ink
    ['com.hp.printhead-failure-error', 'printhead.fault', 'critical'],
    ['com.epson.print-head-error', 'printhead.fault', 'critical'],
    ['com.canon.ink-system-error', 'inkSystem.fault', 'critical'],
    ['com.brother.ink-cartridge-missing-error', 'supply.missing', 'critical'],
    ['com.example.out-of-ink-error', 'ink.empty', 'critical'],
    ['com.hp.non-hp-supply-report', 'supply.nonGenuine', 'info'],
  ] as const)('%s → %s (%s)', (keyword, code, severity) => {
    expect(classifyReason(keyword)).toMatchObject({ code, severity, unknown: false });
  });

  it('takes the fault default when there is no suffix, and raises nothing for normal conditions', () => {
    expect(classifyReason('paused')).toMatchObject({ code: 'paused', severity: 'warning' });
    expect(classifyReason('media-jam')).toMatchObject({ code: 'jam', severity: 'critical' });
    for (const k of ['none', 'connecting-to-device', 'power-up-report', 'printer-ready-to-print', 'stapler-added-report', 'cover-closed'])
      expect(classifyReason(k).code, k).toBeNull();
  });

  it('keeps an unknown vendor keyword as unclassified with its raw keyword', () => {
    expect(classifyReason('com.acme.wobble')).toMatchObject({ code: 'unclassified', severity: 'warning', unknown: true });
    expect(reasonFaults(['com.acme.wobble-error'], 'Wobble detected')).toEqual([
      {
        code: 'unclassified',
        severity: 'critical',
        source: 'ippStateReason',
        message: "Unclassified device alert: printer-state-reason 'com.acme.wobble-error': Wobble detected",
        rawCode: 'com.acme.wobble-error',
      },
    ]);
  });
});

describe('printer-alert parsing', () => {
  it('strips the printer-alert[n] = prefix and the quoted description prefix (Xerox firmware)', () => {
    expect(stripArrayPrefix('printer-alert[0] = code=jam;index=1')).toBe('code=jam;index=1');
    expect(stripArrayPrefix("printer-alert-description[3] = '08-600 A paper jam'")).toBe('08-600 A paper jam');
    expect(stripArrayPrefix('code=jam')).toBe('code=jam');
  });

  it('parses every PWG 5100.9 member, numbers as numbers', () => {
    const { alerts, malformed } = parsePrinterAlerts(
      ['code=jam;index=1;severity=critical;group=mediaPath;groupindex=2;location=8600;training=trained;time=126508'],
      ['Jam in duplexer'],
    );
    expect(malformed).toEqual([]);
    expect(alerts[0]).toMatchObject({
      code: 'jam',
      index: 1,
      severity: 'critical',
      group: 'mediaPath',
      groupIndex: 2,
      location: 8600,
      training: 'trained',
      time: 126508,
      description: 'Jam in duplexer',
    });
  });

  it('reports malformed entries without failing the rest', () => {
    const { alerts, malformed } = parsePrinterAlerts(
      ['code=unknown;severity=otherother', 'garbage without pairs', 'none', 'code=coverOpen;severity=critical;group=cover;groupindex=1;code=jam'],
      [],
    );
    expect(alerts.map((a) => a.code)).toEqual(['unknown', 'coverOpen']);
    expect(alerts[0]?.severity).toBeNull();
    expect(malformed).toEqual([
      { position: 0, raw: 'code=unknown;severity=otherother', reason: "unknown severity 'otherother'" },
      { position: 1, raw: 'garbage without pairs', reason: 'no code= pair' },
      { position: 3, raw: 'code=coverOpen;severity=critical;group=cover;groupindex=1;code=jam', reason: "repeated 'code'" },
    ]);
  });

  it('maps registered codes through the rules shared with SNMP, by name or number', () => {
    const { faults } = alertFaults(
      [
        'code=markerTonerEmpty;severity=critical;group=markerSupplies;groupindex=1',
        'code=1105;severity=warning;group=11;groupindex=2',
        'code=coverClosed;severity=other;group=cover',
      ],
      ['Toner empty', '', ''],
    );
    expect(faults.map((f) => [f.code, f.severity, f.source, f.subunit?.group, f.subunit?.index])).toEqual([
      ['toner.empty', 'critical', 'ippAlert', 'markerSupplies', 1],
      ['ink.low', 'warning', 'ippAlert', 'markerSupplies', 2],
    ]);
  });

  it('drops the neutral events of an HP history buffer and keeps the meaningful ones once', () => {
    const values = [
      'code=unknown;severity=other;group=other',
      'code=printerReadyToPrint;severity=other;group=generalPrinter',
      'code=unknown;severity=other;group=other',
      'code=unknown;severity=other;group=other',
    ];
    const { faults } = alertFaults(values, ['nonHPSupplyDetected', 'ready', 'inPowerSave', 'inkSystemReady']);
    expect(faults.map((f) => [f.code, f.severity, f.rawCode])).toEqual([['supply.nonGenuine', 'info', 'unknown: nonHPSupplyDetected']]);
  });

  it('turns a marker failure on an inkjet into a print-head fault', () => {
    const values = ['code=subunitUnrecoverableFailure;severity=critical;group=marker;groupindex=1'];
    expect(alertFaults(values, ['Printhead problem'], { inkjet: true }).faults[0]).toMatchObject({
      code: 'printhead.fault',
      severity: 'critical',
      subunit: { group: 'marker', index: 1 },
    });
    expect(alertFaults(values, ['Fuser motor'], { inkjet: false }).faults[0]).toMatchObject({ code: 'hardware.fault' });
  });
});
