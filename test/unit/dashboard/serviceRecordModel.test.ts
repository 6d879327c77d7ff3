import { describe, expect, it } from 'vitest';
import { cartridgesNewestFirst, faultMonths, splitEvents, ticketOutcomeKey, yieldPercent } from '../../../server/dashboard/static/serviceRecordModel.js';
import { Resolution } from '../../../server/tickets/ticket.js';
import { WEAR_PARTS } from '../../../server/serviceRecord/serviceRecord.js';

// The catalogues are plain browser modules without type declarations: loaded by URL.
async function catalogue(name: 'en' | 'pl'): Promise<Record<string, string>> {
  const mod = (await import(new URL(`../../../server/dashboard/static/i18n/${name}.js`, import.meta.url).href)) as { default: Record<string, string> };
  return mod.default;
}
const catalogues = { en: await catalogue('en'), pl: await catalogue('pl') };

describe('service record on the device page', () => {
  it('a ticket’s outcome is how it was resolved, or its status while open; every outcome is worded in both languages', () => {
    expect(ticketOutcomeKey({ status: 'resolved', resolution: 'byTechnician' })).toBe('resolution.byTechnician');
    expect(ticketOutcomeKey({ status: 'inProgress', resolution: null })).toBe('status.inProgress');
    for (const [lang, c] of Object.entries(catalogues))
      for (const r of Resolution.options) expect(c[ticketOutcomeKey({ status: 'closed', resolution: r })], `${lang} ${r}`).toBeTruthy();
  });

  it('jams apart from the other alerts per month, the others by code, most frequent first', () => {
    expect(faultMonths([{ month: '2026-11', jams: 2, byCode: { jam: 2, 'toner.low': 1, 'door.open': 3 } }])).toEqual([
      {
        month: '2026-11',
        jams: 2,
        other: 4,
        codes: [
          ['door.open', 3],
          ['toner.low', 1],
        ],
      },
    ]);
    expect(faultMonths([])).toEqual([]);
  });

  it('yield in whole percent, none when unknown; cartridges newest first per supply', () => {
    expect(yieldPercent({ yieldShare: 0.92 })).toBe(92);
    expect(yieldPercent({ yieldShare: null })).toBeNull();
    const rows = [
      { supplyIndex: 2, since: '2026-01-01T00:00:00Z' },
      { supplyIndex: 1, since: '2026-01-01T00:00:00Z' },
      { supplyIndex: 1, since: '2026-02-01T00:00:00Z' },
    ];
    expect(cartridgesNewestFirst(rows).map((r) => [r.supplyIndex, r.since.slice(0, 7)])).toEqual([
      [1, '2026-02'],
      [1, '2026-01'],
      [2, '2026-01'],
    ]);
  });

  it('firmware changes apart from identity events, newest first; every event kind and wear part is worded', () => {
    const out = splitEvents([
      { at: '2026-01-01T00:00:00Z', kind: 'firmware' },
      { at: '2026-02-01T00:00:00Z', kind: 'deviceSwap' },
      { at: '2026-03-01T00:00:00Z', kind: 'firmware' },
    ]);
    expect(out.firmware.map((e) => e.at.slice(0, 7))).toEqual(['2026-03', '2026-01']);
    expect(out.identity.map((e) => e.kind)).toEqual(['deviceSwap']);
    for (const [lang, c] of Object.entries(catalogues)) {
      for (const kind of ['firmware', 'deviceSwap', 'identityConflict']) expect(c[`sr.event.${kind}`], `${lang} ${kind}`).toBeTruthy();
      for (const kind of WEAR_PARTS) expect(c[`partkind.${kind}`], `${lang} ${kind}`).toBeTruthy();
    }
  });
});
