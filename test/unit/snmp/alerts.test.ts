import { describe, expect, it } from 'vitest';
import { alertCodeName, alertGroupName, classifyAlert } from '../../../agent/normalise/alerts.js';
import { Fault } from '../../../shared/snapshot.js';
import { ENUMS } from '../../../mibs/oids.generated.js';

const groups = Object.entries(ENUMS.PrtAlertGroupTC);
const severities = Object.entries(ENUMS.PrtAlertSeverityLevelTC);
const trainings = Object.entries(ENUMS.PrtAlertTrainingLevelTC);

describe('classifyAlert over every group, severity and training level (RFC 3805 / IANA)', () => {
  it.each(groups)('group %s (%i): every severity and training level gives a valid fault', (groupName, group) => {
    for (const [sevName, severity] of severities) {
      for (const [trainingName, training] of trainings) {
        const f = classifyAlert({
          code: ENUMS.PrtAlertCodeTC.subunitRecoverableFailure,
          group,
          groupIndex: 2,
          severity,
          training,
          description: 'Engine error',
        });
        expect(f, `${groupName}/${sevName}/${trainingName}`).not.toBeNull();
        expect(() => Fault.parse(f)).not.toThrow();
        expect(f!.subunit).toEqual({ group: groupName, index: 2 });
        expect(f!.code).toBe('hardware.fault');
        const expected =
          sevName === 'critical' ? 'critical' : trainingName === 'noInterventionRequired' ? 'info' : sevName === 'other' ? 'critical' : 'warning';
        expect(f!.severity, `${groupName}/${sevName}/${trainingName}`).toBe(expected);
      }
    }
  });

  it('generic subunit codes take their meaning from the group', () => {
    const g = ENUMS.PrtAlertGroupTC;
    const c = ENUMS.PrtAlertCodeTC;
    const code = (code: number, group: number) => classifyAlert({ code, group, severity: 4 })?.code;
    expect(code(c.subunitEmpty, g.input)).toBe('paper.empty');
    expect(code(c.subunitAlmostEmpty, g.input)).toBe('paper.low');
    expect(code(c.subunitEmpty, g.markerSupplies)).toBe('supply.empty');
    expect(code(c.subunitAlmostEmpty, g.markerSupplies)).toBe('supply.low');
    expect(code(c.subunitMissing, g.input)).toBe('input.trayMissing');
    expect(code(c.subunitMissing, g.output)).toBe('output.trayMissing');
    expect(code(c.subunitMissing, g.markerSupplies)).toBe('supply.missing');
    expect(code(c.subunitFull, g.output)).toBe('output.full');
    expect(code(c.subunitAlmostFull, g.output)).toBe('output.nearFull');
    expect(code(c.subunitFull, g.markerSupplies)).toBe('waste.full');
    expect(code(c.subunitLifeOver, g.marker)).toBe('maintenance.due');
    expect(code(c.subunitOverTemperature, g.marker)).toBe('fuser.fault');
    expect(code(c.subunitOpened, g.cover)).toBe('door.open');
  });

  it.each([
    ['coverOpen', 'door.open'],
    ['interlockOpen', 'door.open'],
    ['doorOpen', 'door.open'],
    ['jam', 'jam'],
    ['inputMediaTrayMissing', 'input.trayMissing'],
    ['inputMediaSupplyEmpty', 'paper.empty'],
    ['inputMediaSupplyLow', 'paper.low'],
    ['outputMediaTrayFull', 'output.full'],
    ['outputMediaTrayAlmostFull', 'output.nearFull'],
    ['markerFuserUnderTemperature', 'fuser.fault'],
    ['markerFuserOverTemperature', 'fuser.fault'],
    ['markerTonerEmpty', 'toner.empty'],
    ['markerInkEmpty', 'ink.empty'],
    ['markerTonerAlmostEmpty', 'toner.low'],
    ['markerInkAlmostEmpty', 'ink.low'],
    ['markerWasteTonerReceptacleAlmostFull', 'waste.nearFull'],
    ['markerWasteTonerReceptacleFull', 'waste.full'],
    ['markerOpcLifeAlmostOver', 'drum.nearEnd'],
    ['markerOpcLifeOver', 'drum.end'],
    ['markerDeveloperAlmostEmpty', 'developer.low'],
    ['markerTonerCartridgeMissing', 'supply.missing'],
    ['subunitOffline', 'offline'],
    ['staplerEmpty', 'staples.empty'],
    ['staplerAlmostEmpty', 'staples.low'],
    ['staplerJam', 'jam'],
    ['folderCoverOpen', 'door.open'],
  ] as const)('code %s -> %s, by name and by number', (name, code) => {
    const number = (ENUMS.PrtAlertCodeTC as Record<string, number>)[name]!;
    expect(classifyAlert({ code: name, severity: 'critical' })?.code).toBe(code);
    expect(classifyAlert({ code: number, severity: 3 })?.code).toBe(code);
    expect(classifyAlert({ code: String(number), severity: '3' })?.code).toBe(code);
  });

  it('accepts the IPP printer-alert keyword forms (names, any case, hyphens)', () => {
    const f = classifyAlert({ code: 'jam', group: 'mediaPath', severity: 'critical', training: 'trained', groupIndex: 1, source: 'ippAlert' });
    expect(f).toMatchObject({ code: 'jam', severity: 'critical', source: 'ippAlert', subunit: { group: 'mediaPath', index: 1 }, rawCode: 'jam' });
    expect(f?.message).toMatch(/trained operator/);
    expect(alertGroupName('media-path')).toBe('mediaPath');
    expect(alertCodeName('MARKERTONEREMPTY')).toBe('markerTonerEmpty');
  });

  it('returns to normal are not faults', () => {
    for (const code of ['coverClosed', 'doorClosed', 'powerUp', 'alertRemovalOfBinaryChangeEntry', 'staplerCoverClosed', 'printerReadyToPrint']) {
      expect(classifyAlert({ code, severity: 'warningBinaryChangeEvent' }), code).toBeNull();
    }
  });

  it('unknown and unmapped codes are kept as unclassified with raw code and description', () => {
    const vendor = classifyAlert({ code: 40008, group: 5, severity: 4, description: 'SC542 fusing temperature' });
    expect(vendor).toMatchObject({ code: 'unclassified', severity: 'warning', rawCode: '40008', subunit: { group: 'generalPrinter' } });
    expect(vendor?.message).toContain('SC542 fusing temperature');
    const other = classifyAlert({ code: 'other', group: 99, severity: 3, description: 'Widget misaligned' });
    expect(other).toMatchObject({ code: 'unclassified', severity: 'critical', rawCode: 'other', subunit: { group: '99' } });
    // Code other with a text that names the condition: the same code IPP's vendor alerts get, so the
    // service-requested error bit folds into it instead of standing beside an unclassified twin.
    const service = classifyAlert({ code: 'other', group: 'generalPrinter', severity: 'warning', description: 'Service requested' });
    expect(service).toMatchObject({ code: 'service.requested', rawCode: 'other', subunit: { group: 'generalPrinter' } });
    const absent = classifyAlert({ code: null });
    expect(absent).toMatchObject({ code: 'unclassified', rawCode: 'absent' });
  });
});
