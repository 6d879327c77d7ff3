import { describe, expect, it } from 'vitest';
import { counterSeries, forecastPhrase, levelSeries, pluralForm, soonest, urgency, type ForecastLike } from '../../../server/dashboard/static/forecastModel.js';

// The catalogues are plain browser modules without type declarations: loaded by URL.
async function catalogue(name: 'en' | 'pl'): Promise<Record<string, string>> {
  const mod = (await import(new URL(`../../../server/dashboard/static/i18n/${name}.js`, import.meta.url).href)) as { default: Record<string, string> };
  return mod.default;
}
const en = await catalogue('en');
const pl = await catalogue('pl');

const f = (o: Partial<ForecastLike> & { name?: string }): ForecastLike & { name: string } => ({
  status: 'forecast',
  target: 'empty',
  daysLeft: 6.2,
  daysLeftLow: 4.4,
  daysLeftHigh: 8.1,
  date: '2026-03-06',
  name: 'Black',
  ...o,
});

function say(catalogue: Record<string, string>, p: { key: string; vars: Record<string, unknown> }): string {
  const text = catalogue[p.key];
  if (text === undefined) throw new Error(`missing key ${p.key}`);
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(p.vars[k]));
}

describe('forecast phrases for the dashboard', () => {
  it('says "runs out in N days" with the range widened outwards, in English and Polish', () => {
    const p = forecastPhrase(f({}), 'en-GB');
    expect(say(en, p)).toBe('runs out in 6 days');
    expect(say(en, p.range!)).toBe('4–9 days');
    const q = forecastPhrase(f({ daysLeft: 1.2, daysLeftLow: 0.6, daysLeftHigh: 1 }), 'pl-PL');
    expect(say(pl, q)).toBe('skończy się za 1 dzień');
    expect(say(pl, q.range!)).toBe('0–1 dzień');
    expect(say(pl, forecastPhrase(f({ daysLeft: 5 }), 'pl-PL'))).toBe('skończy się za 5 dni');
    expect(say(en, forecastPhrase(f({ daysLeft: 0.3 }), 'en-GB'))).toBe('runs out today');
    expect(say(en, forecastPhrase(f({ target: 'full', daysLeft: 12 }), 'en-GB'))).toBe('full in 12 days');
    expect(say(en, forecastPhrase(f({ daysLeftHigh: null }), 'en-GB').range!)).toBe('at least 4 days');
  });

  it('says empty/full now, not enough data, distant, or nothing', () => {
    expect(say(en, forecastPhrase(f({ status: 'reached' }), 'en-GB'))).toBe('empty now');
    expect(say(pl, forecastPhrase(f({ status: 'reached', target: 'full' }), 'pl-PL'))).toBe('pełny');
    const n = forecastPhrase(f({ status: 'notEnoughData', reason: 'shortHistory' }), 'en-GB');
    expect(say(en, n)).toBe('not enough data yet');
    expect(n.range).toBeNull();
    expect(say(en, forecastPhrase(f({ status: 'distant' }), 'en-GB'))).toBe('not within two years');
    expect(say(en, forecastPhrase(null, 'en-GB'))).toBe('no forecast yet');
  });

  it('every key the model can produce exists in both catalogues', () => {
    const keys = new Set<string>();
    for (const locale of ['en-GB', 'pl-PL']) {
      for (const days of [0, 1, 2, 5, 22]) {
        for (const target of ['empty', 'full'] as const) {
          const p = forecastPhrase(f({ daysLeft: days, daysLeftLow: days, daysLeftHigh: days, target }), locale);
          keys.add(p.key);
          keys.add(p.range!.key);
        }
      }
      for (const status of ['reached', 'distant', 'notEnoughData'] as const) keys.add(forecastPhrase(f({ status }), locale).key);
    }
    for (const k of keys) {
      expect(en[k], k).toBeTruthy();
      expect(pl[k], k).toBeTruthy();
    }
    expect(pluralForm(1, 'pl-PL')).toBe('one');
    expect(pluralForm(3, 'pl-PL')).toBe('other');
  });

  it('ranks urgency by the early bound and picks the most urgent supply of a device', () => {
    expect(urgency(f({ daysLeftLow: 6 }))).toBe('due');
    expect(urgency(f({ daysLeftLow: 10 }))).toBe('soon');
    expect(urgency(f({ daysLeftLow: 30 }))).toBe('ok');
    expect(urgency(f({ status: 'reached' }))).toBe('due');
    expect(urgency(f({ status: 'notEnoughData' }))).toBe('unknown');
    expect(urgency(null)).toBe('unknown');
    const list = [
      f({ name: 'C', daysLeftLow: 30 }),
      f({ name: 'M', daysLeftLow: 9 }),
      f({ name: 'Y', status: 'notEnoughData' }),
      f({ name: 'K', daysLeftLow: 12 }),
    ];
    expect(soonest(list)!.name).toBe('M');
    expect(soonest([...list, f({ name: 'W', status: 'reached' })])!.name).toBe('W');
    expect(soonest([])).toBeNull();
  });

  it('turns a device history into chart series', () => {
    const history = {
      supplies: [
        {
          name: 'Black Toner',
          partNumber: 'CF259A',
          color: 'black',
          points: [
            { at: '2026-03-02T08:00:00Z', levelPercent: 80 },
            { at: '2026-03-03T08:00:00Z', levelPercent: null },
          ],
        },
        { name: 'Drum', partNumber: null, color: null, points: [] },
      ],
      counters: {
        points: [
          { at: '2026-03-02T08:00:00Z', values: { total: 100, color: 10 } as Record<string, number> },
          { at: '2026-03-03T08:00:00Z', values: { total: 150 } as Record<string, number> },
        ],
      },
    };
    expect(levelSeries(history)).toEqual([
      {
        label: 'Black Toner (CF259A)',
        color: '#1f1f1f',
        points: [
          { x: Date.parse('2026-03-02T08:00:00Z'), y: 80 },
          { x: Date.parse('2026-03-03T08:00:00Z'), y: null },
        ],
      },
      { label: 'Drum', points: [] },
    ]);
    expect(counterSeries(history)).toEqual([
      {
        label: 'total',
        points: [
          { x: Date.parse('2026-03-02T08:00:00Z'), y: 100 },
          { x: Date.parse('2026-03-03T08:00:00Z'), y: 150 },
        ],
      },
      { label: 'color', points: [{ x: Date.parse('2026-03-02T08:00:00Z'), y: 10 }] },
    ]);
  });
});
