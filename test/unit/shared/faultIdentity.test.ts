import { describe, expect, it } from 'vitest';
import { faultIdentity, faultKey, sameFault, subunitLabel } from '../../../shared/faultIdentity.js';

describe('faultKey', () => {
  it('tells subunits of one code apart', () => {
    const c2 = { code: 'toner.empty' as const, subunit: { group: 'markerSupplies', index: 2 } };
    const c3 = { code: 'toner.empty' as const, subunit: { group: 'markerSupplies', index: 3 } };
    expect(faultKey(c2)).not.toBe(faultKey(c3));
    expect(sameFault(c2, c3)).toBe(false);
  });

  it('ignores the subunit name, message and severity', () => {
    const a = { code: 'toner.empty' as const, subunit: { group: 'markerSupplies', index: 2, name: 'Cyan' } };
    const b = { code: 'toner.empty' as const, subunit: { group: 'markerSupplies', index: 2, name: 'Cyan Cartridge 415A' } };
    expect(sameFault(a, b)).toBe(true);
  });

  it('keeps a device-level fault apart from a subunit fault of the same code', () => {
    expect(sameFault({ code: 'jam' }, { code: 'jam', subunit: { group: 'mediaPath', index: 1 } })).toBe(false);
  });

  it('uses the raw code for unclassified faults only', () => {
    expect(sameFault({ code: 'unclassified', rawCode: '40000' }, { code: 'unclassified', rawCode: '40001' })).toBe(false);
    expect(sameFault({ code: 'jam', rawCode: '8' }, { code: 'jam', rawCode: 'media-jam' })).toBe(true);
  });
});

describe('faultIdentity', () => {
  it('strips the display name and keeps raw codes of unclassified faults', () => {
    expect(faultIdentity({ code: 'toner.low', subunit: { group: 'markerSupplies', index: 1, name: 'Black' }, rawCode: 'x' })).toEqual({
      code: 'toner.low',
      subunit: { group: 'markerSupplies', index: 1 },
    });
    expect(faultIdentity({ code: 'unclassified', subunit: { name: 'only a name' }, rawCode: 'x' })).toEqual({ code: 'unclassified', rawCode: 'x' });
  });
});

describe('subunitLabel', () => {
  it('prefers the device name, then group and index, in both languages', () => {
    expect(subunitLabel({ group: 'markerSupplies', index: 3, name: 'Magenta Cartridge' }, 'en')).toBe('Magenta Cartridge');
    expect(subunitLabel({ group: 'input', index: 2 }, 'en')).toBe('Input tray 2');
    expect(subunitLabel({ group: 'input', index: 2 }, 'pl')).toBe('Podajnik 2');
    expect(subunitLabel({ group: 'vendorThing' }, 'en')).toBe('vendorThing');
    expect(subunitLabel({ index: 4 }, 'en')).toBe('#4');
    expect(subunitLabel(undefined, 'en')).toBeNull();
    expect(subunitLabel({}, 'en')).toBeNull();
  });
});
