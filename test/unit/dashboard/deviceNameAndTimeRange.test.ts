import { describe, expect, it } from 'vitest';
import { timeRange } from '../../../server/dashboard/static/chartModel.js';
import { deviceName } from '../../../server/dashboard/static/deviceName.js';

describe('device names on the dashboard', () => {
  it('says the vendor once when the model already starts with it', () => {
    expect(deviceName('HP', 'HP Color LaserJet MFP M480f', 'x')).toBe('HP Color LaserJet MFP M480f');
    expect(deviceName('HP', 'hp LaserJet M507', 'x')).toBe('hp LaserJet M507');
    expect(deviceName('Kyocera', 'ECOSYS M2540dn', 'x')).toBe('Kyocera ECOSYS M2540dn');
    // A model that merely begins with the same letters keeps its vendor.
    expect(deviceName('Canon', 'CanonLike X1', 'x')).toBe('Canon CanonLike X1');
    expect(deviceName(undefined, 'M404', 'x')).toBe('M404');
    expect(deviceName('Ricoh', null, 'x')).toBe('Ricoh');
    expect(deviceName(null, '  ', 'demo/sn:1')).toBe('demo/sn:1');
  });
});

describe('time chart x range', () => {
  const at = Date.UTC(2026, 11, 6, 21, 13);
  it('widens a single reading to an hour each side, so its ticks are times around it', () => {
    expect(timeRange([at])).toEqual({ min: at - 3_600_000, max: at + 3_600_000 });
    expect(timeRange([at, at + 60_000])).toEqual({ min: at + 30_000 - 3_600_000, max: at + 30_000 + 3_600_000 });
  });
  it('keeps a longer span as it is, and leaves an empty chart to Chart.js', () => {
    expect(timeRange([at + 86_400_000, at])).toEqual({ min: at, max: at + 86_400_000 });
    expect(timeRange([])).toEqual({ min: undefined, max: undefined });
  });
});
