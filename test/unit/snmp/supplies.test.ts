import { describe, expect, it } from 'vitest';
import { assessSupply, DEFAULT_SUPPLY_THRESHOLDS, supplyColor, supplyFaultCode, supplyKind, supplyTypeName } from '../../../agent/normalise/supplies.js';
import { isReceptacle, supplyClassName } from '../../../shared/supplies.js';

describe('supply type and kind', () => {
  it('accepts IANA numbers, IANA names and IPP keywords for the same type', () => {
    expect(supplyTypeName(21)).toBe('tonerCartridge');
    expect(supplyTypeName('tonerCartridge')).toBe('tonerCartridge');
    expect(supplyTypeName('toner-cartridge')).toBe('tonerCartridge');
    expect(supplyTypeName('waste-toner')).toBe('wasteToner');
    expect(supplyTypeName('opc')).toBe('opc');
    expect(supplyTypeName('21')).toBe('tonerCartridge');
    expect(supplyTypeName(9999)).toBeNull();
    expect(supplyTypeName('no-such-type')).toBeNull();
    expect(supplyTypeName(null)).toBeNull();
  });

  it.each([
    [3, 'toner'],
    [21, 'toner'],
    [4, 'waste'],
    [8, 'waste'],
    [5, 'ink'],
    [6, 'ink'],
    [9, 'drum'],
    [10, 'developer'],
    [15, 'fuser'],
    [20, 'transfer'],
    [18, 'maintenance'],
    [32, 'staples'],
  ] as const)('IANA type %i is kind %s whatever the description says', (type, kind) => {
    expect(supplyKind(type, 'Something Else Entirely')).toBe(kind);
  });

  it.each([
    ['Waste Toner Box', 'waste'],
    ['廢棄碳粉', 'waste'],
    ['黑色碳粉', 'toner'],
    ['Drum Cartridge (Cyan)', 'drum'],
    ['Imaging Unit', 'drum'],
    ['Developer Cartridge (Black)', 'developer'],
    ['Fusing Unit', 'fuser'],
    ['Image Transfer Belt Unit', 'transfer'],
    ['Maintenance Kit', 'maintenance'],
    ['Tray 1 Roller', 'maintenance'],
    ['Black Cartridge HP CF410A', 'toner'],
    ['CANON Black Ink Tank', 'ink'],
    ['Print Head', 'printhead'],
    ['Stapler 1', 'staples'],
    ['Mystery Part', 'other'],
  ] as const)('without a usable type, "%s" is kind %s', (description, kind) => {
    expect(supplyKind(1, description)).toBe(kind);
    expect(supplyKind(null, description)).toBe(kind);
  });

  it('classes: a stated class wins, otherwise waste is a receptacle', () => {
    expect(supplyClassName(4)).toBe('receptacleThatIsFilled');
    expect(supplyClassName('receptacle-that-is-filled')).toBe('receptacleThatIsFilled');
    expect(supplyClassName(3)).toBe('supplyThatIsConsumed');
    expect(supplyClassName(77)).toBeNull();
    expect(isReceptacle(4, 'toner')).toBe(true);
    expect(isReceptacle(3, 'waste')).toBe(false);
    expect(isReceptacle(null, 'waste')).toBe(true);
    expect(isReceptacle(1, 'waste')).toBe(true);
    expect(isReceptacle(null, 'toner')).toBe(false);
  });
});

describe('assessSupply: levels, special values, receptacles, thresholds', () => {
  const consumable = (level: number | null, max: number | null) => assessSupply({ level, max, receptacle: false });
  const receptacle = (level: number | null, max: number | null) => assessSupply({ level, max, receptacle: true });

  it('special values are states, never numbers', () => {
    expect(consumable(-1, 100)).toEqual({ levelPercent: null, state: 'ok' });
    expect(consumable(-2, 100)).toEqual({ levelPercent: null, state: 'unknown' });
    expect(consumable(-3, 100)).toEqual({ levelPercent: null, state: 'someRemaining' });
    expect(consumable(-3, -2)).toEqual({ levelPercent: null, state: 'someRemaining' });
    expect(receptacle(-3, -2)).toEqual({ levelPercent: null, state: 'someRemaining' });
    expect(receptacle(-2, -2)).toEqual({ levelPercent: null, state: 'unknown' });
    expect(consumable(-7, 100)).toEqual({ levelPercent: null, state: 'unknown' });
    expect(consumable(null, 100)).toEqual({ levelPercent: null, state: 'unknown' });
  });

  it('a level is a percentage only against a positive capacity', () => {
    expect(consumable(54, 100)).toEqual({ levelPercent: 54, state: 'ok' });
    expect(consumable(1060, 5300)).toEqual({ levelPercent: 20, state: 'ok' });
    expect(consumable(11501, 12000)).toEqual({ levelPercent: 95.8, state: 'ok' });
    expect(consumable(9, -2)).toEqual({ levelPercent: null, state: 'someRemaining' });
    expect(consumable(0, -2)).toEqual({ levelPercent: null, state: 'empty' });
    expect(consumable(5, -1)).toEqual({ levelPercent: null, state: 'someRemaining' });
    expect(consumable(5, 0)).toEqual({ levelPercent: null, state: 'someRemaining' });
    expect(consumable(5, null)).toEqual({ levelPercent: null, state: 'someRemaining' });
  });

  it('default thresholds: low at <= 10 %, empty at 0 %', () => {
    expect(consumable(11, 100).state).toBe('ok');
    expect(consumable(10, 100).state).toBe('low');
    expect(consumable(1, 300)).toEqual({ levelPercent: 0.3, state: 'low' });
    expect(consumable(0, 100)).toEqual({ levelPercent: 0, state: 'empty' });
  });

  it('receptacles report the remaining space: inverted to a filled percentage', () => {
    expect(receptacle(100, 100)).toEqual({ levelPercent: 0, state: 'ok' });
    expect(receptacle(6030, 6700)).toEqual({ levelPercent: 10, state: 'ok' });
    expect(receptacle(11, 100)).toEqual({ levelPercent: 89, state: 'ok' });
    expect(receptacle(10, 100)).toEqual({ levelPercent: 90, state: 'nearFull' });
    expect(receptacle(5, 100)).toEqual({ levelPercent: 95, state: 'nearFull' });
    expect(receptacle(0, 100)).toEqual({ levelPercent: 100, state: 'full' });
    expect(receptacle(0, -2)).toEqual({ levelPercent: null, state: 'full' });
    expect(receptacle(100, -2)).toEqual({ levelPercent: null, state: 'someRemaining' });
  });

  it('thresholds are configurable', () => {
    const t = { lowPercent: 25, emptyPercent: 2, nearFullPercent: 80, fullPercent: 95 };
    expect(assessSupply({ level: 20, max: 100, receptacle: false }, t).state).toBe('low');
    expect(assessSupply({ level: 2, max: 100, receptacle: false }, t).state).toBe('empty');
    expect(assessSupply({ level: 20, max: 100, receptacle: true }, t).state).toBe('nearFull');
    expect(assessSupply({ level: 5, max: 100, receptacle: true }, t).state).toBe('full');
    expect(DEFAULT_SUPPLY_THRESHOLDS).toEqual({ lowPercent: 10, emptyPercent: 0, nearFullPercent: 90, fullPercent: 100 });
  });

  it('a level above the capacity is not believed unless a vendor quirk says so', () => {
    expect(consumable(120, 100)).toEqual({ levelPercent: null, state: 'someRemaining' });
    expect(assessSupply({ level: 120, max: 100, receptacle: false, precision: 'overshoot-ok' })).toEqual({ levelPercent: 100, state: 'ok' });
    expect(assessSupply({ level: 100, max: 100, receptacle: false, precision: 'coarse' })).toEqual({ levelPercent: null, state: 'someRemaining' });
    expect(assessSupply({ level: 0, max: 100, receptacle: false, precision: 'coarse' })).toEqual({ levelPercent: 0, state: 'empty' });
  });
});

describe('colour and supply faults', () => {
  it('prefers the colorant table, falls back to the description', () => {
    expect(supplyColor('Toner (Cyan)')).toBe('cyan');
    expect(supplyColor('CANON Matte Black Ink Tank')).toBe('matte black');
    expect(supplyColor('洋紅色碳粉')).toBe('magenta');
    expect(supplyColor('Black Toner', 'yellow')).toBe('yellow');
    expect(supplyColor('Fuser Unit')).toBeNull();
    expect(supplyColor('Fuser Unit', 'unknown')).toBeNull();
    expect(supplyColor(null, 'orange')).toBe('orange');
  });

  it.each([
    ['toner', 'low', 'toner.low'],
    ['toner', 'empty', 'toner.empty'],
    ['ink', 'low', 'ink.low'],
    ['ink', 'empty', 'ink.empty'],
    ['drum', 'low', 'drum.nearEnd'],
    ['drum', 'empty', 'drum.end'],
    ['developer', 'low', 'developer.low'],
    ['staples', 'empty', 'staples.empty'],
    ['fuser', 'low', 'fuser.nearEnd'],
    ['transfer', 'low', 'transfer.nearEnd'],
    ['maintenance', 'empty', 'maintenance.due'],
    ['other', 'low', 'supply.low'],
    ['waste', 'nearFull', 'waste.nearFull'],
    ['waste', 'full', 'waste.full'],
    ['toner', 'ok', null],
    ['toner', 'someRemaining', null],
    ['toner', 'unknown', null],
  ] as const)('%s %s -> %s', (kind, state, code) => {
    expect(supplyFaultCode(kind, state)).toBe(code);
  });
});
