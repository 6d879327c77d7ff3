import { describe, expect, it } from 'vitest';
import { FAULT_CODES, FAULTS, faultLabel, FaultCodeSchema, isFaultCode } from '../../../shared/faults.js';

const REQUIRED =
  'paper.low paper.empty jam door.open toner.low toner.empty ink.low ink.empty printhead.fault supply.missing waste.nearFull waste.full drum.nearEnd drum.end fuser.fault maintenance.due input.trayMissing output.trayMissing output.nearFull output.full offline service.requested device.unreachable'.split(
    ' ',
  );

describe('fault taxonomy', () => {
  it('contains every code the product starts from', () => {
    for (const code of REQUIRED) expect(isFaultCode(code), code).toBe(true);
  });

  it('has stable, dotted camelCase identifiers', () => {
    for (const code of FAULT_CODES) expect(code).toMatch(/^[a-z][a-zA-Z]*(\.[a-z][a-zA-Z]*)?$/);
  });

  it('labels every code in English and Polish, distinctly', () => {
    for (const code of FAULT_CODES) {
      expect(faultLabel(code, 'en').length, code).toBeGreaterThan(3);
      expect(faultLabel(code, 'pl').length, code).toBeGreaterThan(3);
      expect(faultLabel(code, 'pl'), code).not.toBe(faultLabel(code, 'en'));
    }
  });

  it('routes ink and head problems to the specialist line only', () => {
    const ink = FAULT_CODES.filter((c) => FAULTS[c].inkOrHead).sort();
    expect(ink).toEqual(['ink.empty', 'ink.low', 'inkSystem.fault', 'printhead.fault']);
  });

  it('treats stop-level faults as critical', () => {
    for (const code of ['jam', 'door.open', 'toner.empty', 'ink.empty', 'fuser.fault', 'paper.empty'] as const) {
      expect(FAULTS[code].severity).toBe('critical');
      expect(FAULTS[code].stopsPrinting).toBe(true);
    }
    expect(FAULTS['toner.low'].stopsPrinting).toBe(false);
  });

  it('the schema accepts exactly the taxonomy', () => {
    expect(FaultCodeSchema.safeParse('jam').success).toBe(true);
    expect(FaultCodeSchema.safeParse('jam.paper').success).toBe(false);
    expect(isFaultCode('toString')).toBe(false);
  });
});
