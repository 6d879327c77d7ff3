import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { addWorkingTime, HOUR_MS } from '../../../server/sla/businessCalendar.js';
import { compileContract, levelFor, onSiteTerms, termsFor, type Impact } from '../../../server/sla/contract.js';
import { PRESET_IDS, PRESET_SPECS, presetContract } from '../../../server/sla/presets.js';

const ZONE = 'Europe/Warsaw';
const at = (iso: string) => DateTime.fromISO(iso, { zone: ZONE }).toMillis();
const local = (ms: number) => DateTime.fromMillis(ms, { zone: ZONE }).toFormat("yyyy-LL-dd'T'HH:mm");

function deadline(contractId: string, impactOrLevel: string, registered: string): string | null {
  const c = presetContract(contractId);
  const level = levelFor(c, impactOrLevel);
  const impact = (['critical', 'high', 'medium', 'low'].includes(impactOrLevel) ? impactOrLevel : 'low') as Impact;
  const terms = termsFor(c, impact, level);
  return terms.reactionMs === null ? null : local(addWorkingTime(terms.calendar, at(registered), terms.reactionMs));
}

describe('contract presets reproduce every scheme of support-contracts.md', () => {
  it('ships the ten presets, all valid', () => {
    expect(PRESET_IDS).toEqual([
      'device-vendor',
      'device-vendor-onsite-4h',
      'device-vendor-onsite-8h',
      'device-vendor-onsite-24h',
      'software-5level',
      'community',
      'email',
      'start',
      'standard',
      'premium',
    ]);
    for (const id of PRESET_IDS) expect(presetContract(id).spec.id).toBe(id);
  });

  it('§1 device vendor: 2 h / 6 h / 2 days / 5 days in Mon-Fri 8-17', () => {
    const c = presetContract('device-vendor');
    expect(['critical', 'high', 'medium', 'low'].map((i) => termsFor(c, i as Impact).reactionMs! / HOUR_MS)).toEqual([2, 6, 18, 45]);
    // Monday 16:00 critical: 1 h today, 1 h tomorrow.
    expect(deadline('device-vendor', 'critical', '2026-03-02T16:00')).toBe('2026-03-03T09:00');
    // Thursday 10:00 medium (2 working days = 18 h): Thu 7 h, Fri 9 h, Mon 2 h.
    expect(deadline('device-vendor', 'medium', '2026-03-05T10:00')).toBe('2026-03-09T10:00');
    // Low (5 days = 45 h) over the Easter Monday 2026: Wed, Thu, Fri, Tue, Wed until closing.
    expect(deadline('device-vendor', 'low', '2026-04-01T08:00')).toBe('2026-04-08T17:00');
    expect(c.spec.queues.inkOrHead).toBe('ink-head');
  });

  it('§2 software 5-level scheme: 16 h / 24 h / 4 / 7 / 14 days of 8 working hours (9-17)', () => {
    const c = presetContract('software-5level');
    expect(c.spec.levels.map((l) => termsFor(c, 'low', l.id).reactionMs! / HOUR_MS)).toEqual([16, 24, 32, 56, 112]);
    // Reported Friday before Easter 10:00 at level 1: Fri 7 h, Easter Monday closed, Tue 8 h, Wed 1 h.
    expect(deadline('software-5level', 'sev1', '2026-04-03T10:00')).toBe('2026-04-08T10:00');
    // Reported on Saturday (accepted 24/7): the clock starts Monday 9:00.
    expect(deadline('software-5level', 'sev2', '2026-03-07T11:00')).toBe('2026-03-11T17:00');
    expect(c.spec.waitingForCustomer).toEqual({ silence: '14d', attempts: 2, attemptInterval: '2d' });
  });

  it('§3 plans: hours, reactions, caps, included hours, rates, days-off coverage, 24/7', () => {
    const fig = (id: string) => {
      const s = presetContract(id).spec;
      return [s.calendar.week.mon?.[0], s.levels[0]!.reaction, s.monthlyCap?.hours ?? null, s.includedHours, s.hourlyRateGrosze];
    };
    expect(fig('community')).toEqual(['10:00-13:00', null, null, 0, 20000]);
    expect(fig('email')).toEqual(['09:00-15:00', '12h', 3, 0, 18000]);
    expect(fig('start')).toEqual(['08:00-16:00', '8h', 8, 3, 16500]);
    expect(fig('standard')).toEqual(['07:00-17:00', '4h', 15, 7, 14000]);
    expect(presetContract('premium').spec.calendar.week.sun).toEqual(['00:00-24:00']);
    expect(presetContract('standard').spec.guaranteedChannels).not.toContain('callback');
    // Outside the plan's hours the clock starts at the next opening: START, Saturday → Monday 8:00 + 8 h.
    expect(deadline('start', 'high', '2026-03-07T12:00')).toBe('2026-03-09T16:00');
    // EMAIL 12 h in 6-hour days: Mon 10:00 → 5 h Mon, 6 h Tue, 1 h Wed.
    expect(deadline('email', 'medium', '2026-03-02T10:00')).toBe('2026-03-04T10:00');
    // STANDARD: a critical report on a Saturday is handled on the day off; others wait for Monday 7:00.
    expect(deadline('standard', 'critical', '2026-03-07T10:00')).toBe('2026-03-07T14:00');
    expect(deadline('standard', 'high', '2026-03-07T10:00')).toBe('2026-03-09T11:00');
    expect(termsFor(presetContract('standard'), 'critical').calendarName).toBe('critical reports on days off');
    // PREMIUM 24/7 across the spring DST change: 4 h of real time.
    expect(deadline('premium', 'low', '2026-03-29T01:30')).toBe('2026-03-29T06:30');
    expect(deadline('community', 'critical', '2026-03-02T10:00')).toBeNull();
  });

  it('§4 on-site arrival 4 h / 8 h in working hours, 24 h on the next business day', () => {
    const arrive = (id: string, from: string) => {
      const c = presetContract(id);
      const o = onSiteTerms(c, termsFor(c, 'critical'));
      return local(addWorkingTime(o.calendar, at(from), o.targetMs!));
    };
    expect(arrive('device-vendor-onsite-4h', '2026-03-06T15:00')).toBe('2026-03-09T10:00');
    expect(arrive('device-vendor-onsite-8h', '2026-03-06T15:00')).toBe('2026-03-09T14:00');
    expect(arrive('device-vendor-onsite-24h', '2026-03-06T15:00')).toBe('2026-03-09T15:00');
  });

  it('contracts are data: a custom contract validates, a broken one is rejected with key paths', () => {
    const custom = compileContract({
      ...PRESET_SPECS['device-vendor'],
      id: 'acme-gold',
      levels: [{ id: 'p1', label: 'P1', reaction: '90m', resolution: '1d' }],
      impactToLevel: { critical: 'p1', high: 'p1', medium: 'p1', low: 'p1' },
    });
    const t = termsFor(custom, 'medium');
    expect([t.level, t.reactionMs! / 60_000, t.resolutionMs! / 60_000]).toEqual(['p1', 90, 540]);
    expect(() => compileContract({ ...PRESET_SPECS['email'], id: 'Bad Id' }, 'contracts.yaml')).toThrow(/^contracts\.yaml: invalid contract: id: expected/);
    expect(() =>
      compileContract({ ...PRESET_SPECS['email'], impactToLevel: { critical: 'x', high: 'guaranteed', medium: 'guaranteed', low: 'guaranteed' } }),
    ).toThrow(/impactToLevel\.critical: expected one of the level ids \(guaranteed\), found string "x"/);
    expect(() => compileContract({ ...PRESET_SPECS['email'], levels: [{ id: 'guaranteed', label: 'g', reaction: '12 hours' }] })).toThrow(
      /levels\[0\]\.reaction: expected/,
    );
    expect(() => compileContract({ ...PRESET_SPECS['email'], monthlyCap: { hours: -1, channels: ['email'] } })).toThrow(/monthlyCap\.hours/);
    expect(() => levelFor(presetContract('standard'), 'sev9')).toThrow(/unknown impact or level "sev9"/);
  });
});

describe('contract catalogue', () => {
  it('serves presets and configured contracts; a configured one may override a preset; unknown ids are named', async () => {
    const { contractCatalogue } = await import('../../../server/sla/contractCatalogue.js');
    const cat = contractCatalogue([
      { ...PRESET_SPECS['standard'], id: 'standard', includedHours: 10 },
      { ...PRESET_SPECS['start'], id: 'acme-start' },
    ]);
    expect(cat.get('standard').spec.includedHours).toBe(10);
    expect(cat.get('acme-start').spec.calendar.week.mon).toEqual(['08:00-16:00']);
    expect(cat.get('email').spec.id).toBe('email');
    expect(() => cat.get('gold')).toThrow(/^unknown contract "gold": known contracts are device-vendor, .*acme-start$/);
    expect(() => contractCatalogue([PRESET_SPECS['email'], PRESET_SPECS['email']], 'server.yaml contracts')).toThrow(
      'server.yaml contracts[1]: contract id email is defined twice',
    );
  });
});
