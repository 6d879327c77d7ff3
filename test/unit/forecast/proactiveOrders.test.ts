import { describe, expect, it } from 'vitest';
import { type SupplyOrderRecord, decideSupplyOrder, orderKey } from '../../../server/forecast/proactiveOrders.js';
import { type ForecastEvidence, type SupplyForecast, forecastSupply } from '../../../server/forecast/supplyForecast.js';
import { workingDayClock } from '../../../server/forecast/workingDayClock.js';
import { ZONE, local, office } from './histories.js';

const clock = workingDayClock({ zone: ZONE });
const supply = { deviceId: 'dev-42', supplyIndex: 1, partDescription: 'Black Toner Cartridge HP 410A CF410A', kind: 'toner' as const, color: 'black' };
const policy = { leadTimeWorkingDays: 5 };
const now = local('2026-03-27T20:00');

function evidence(replacedAt: number | null): ForecastEvidence {
  return {
    method: 'levelTrend',
    readings: 100,
    ignoredReadings: 0,
    readingsWithoutLevel: 0,
    cartridgeSince: replacedAt ?? local('2026-02-02T00:00'),
    replacedAt,
    historyWorkingDays: 30,
    coarseLevels: false,
    distinctLevels: 60,
    blipDays: 0,
    levelNow: 12,
    levelPerWorkingDay: -2,
  };
}

function forecastIn(low: number, replacedAt: number | null = null): SupplyForecast {
  return {
    status: 'forecast',
    target: 'empty',
    at: local('2026-04-03T12:00'),
    date: '2026-04-03',
    earliest: local('2026-04-02T12:00'),
    latest: local('2026-04-07T12:00'),
    workingDaysLeft: { estimate: low + 1, low, high: low + 2 },
    confidence: 'high',
    evidence: evidence(replacedAt),
  };
}

describe('decideSupplyOrder', () => {
  it('does nothing while the early bound is beyond lead time', () => {
    expect(decideSupplyOrder({ supply, forecast: forecastIn(5.01), policy, existing: null, now })).toEqual({ action: 'none', reason: 'notDue' });
    expect(decideSupplyOrder({ supply, forecast: forecastIn(6), policy: { leadTimeWorkingDays: 5, safetyWorkingDays: 1 }, existing: null, now }).action).toBe(
      'open',
    );
  });

  it('opens one low-impact order carrying the supply, its part, the forecast date and the evidence', () => {
    const decision = decideSupplyOrder({ supply, forecast: forecastIn(4.5), policy, existing: null, now });
    if (decision.action !== 'open') throw new Error(`expected open, got ${JSON.stringify(decision)}`);
    const d = decision.draft;
    expect(d.key).toBe('dev-42/supply/1');
    expect(d.key).toBe(orderKey(supply));
    expect(d.impact).toBe('low');
    expect(d.supply).toEqual(supply);
    expect(d.forecast).toMatchObject({ target: 'empty', runOutAt: local('2026-04-03T12:00'), date: '2026-04-03', confidence: 'high', method: 'levelTrend' });
    expect(d.evidence.levelNow).toBe(12);
    expect(d.title).toContain('HP 410A');
    expect(d.description).toContain('2026-04-03');
    expect(d.description).toContain('Lead time 5 working days');
    expect(d.decidedAt).toBe(now);
  });

  it('keeps an open order (never a second ticket) and closes it when the supply is replaced', () => {
    const open: SupplyOrderRecord = { status: 'open', openedAt: local('2026-03-20T10:00'), ticketId: 'T-1' };
    expect(decideSupplyOrder({ supply, forecast: forecastIn(1), policy, existing: open, now })).toEqual({ action: 'keep', reason: 'orderOpen' });
    // A replacement seen before the order was opened belongs to the previous cartridge.
    expect(decideSupplyOrder({ supply, forecast: forecastIn(1, local('2026-02-10T10:00')), policy, existing: open, now }).action).toBe('keep');
    const replacedAt = local('2026-03-26T09:00');
    const notEnough: SupplyForecast = {
      status: 'notEnoughData',
      target: 'empty',
      reason: 'shortHistory',
      message: 'new cartridge',
      evidence: evidence(replacedAt),
    };
    expect(decideSupplyOrder({ supply, forecast: notEnough, policy, existing: open, now })).toEqual({ action: 'close', reason: 'replaced', replacedAt });
  });

  it('does not reopen for the same cartridge after the order was closed, but does for the next one', () => {
    const closed: SupplyOrderRecord = { status: 'closed', openedAt: local('2026-03-20T10:00') };
    expect(decideSupplyOrder({ supply, forecast: forecastIn(1), policy, existing: closed, now })).toEqual({
      action: 'none',
      reason: 'alreadyOrderedForThisCartridge',
    });
    expect(decideSupplyOrder({ supply, forecast: forecastIn(1, local('2026-03-21T10:00')), policy, existing: closed, now }).action).toBe('open');
  });

  it('orders a supply that already reports empty, and nothing without a forecast', () => {
    const reached: SupplyForecast = { status: 'reached', target: 'empty', since: local('2026-03-27T09:00'), evidence: evidence(null) };
    const decision = decideSupplyOrder({ supply, forecast: reached, policy, existing: null, now });
    expect(decision.action).toBe('open');
    if (decision.action === 'open') expect(decision.draft.description).toContain('already reported empty');
    const none: SupplyForecast = { status: 'notEnoughData', target: 'empty', reason: 'shortHistory', message: 'x', evidence: evidence(null) };
    expect(decideSupplyOrder({ supply, forecast: none, policy, existing: null, now })).toEqual({ action: 'none', reason: 'noForecast' });
    const distant: SupplyForecast = { status: 'distant', target: 'empty', beyondWorkingDays: 500, evidence: evidence(null) };
    expect(decideSupplyOrder({ supply, forecast: distant, policy, existing: null, now })).toEqual({ action: 'none', reason: 'notDue' });
  });

  it('names a waste receptacle order as a replacement when it fills up', () => {
    const full: SupplyForecast = { ...forecastIn(2), target: 'full' };
    const decision = decideSupplyOrder({ supply: { ...supply, partDescription: 'Waste Toner Box' }, forecast: full, policy, existing: null, now });
    if (decision.action !== 'open') throw new Error('expected open');
    expect(decision.draft.title).toBe('Order a replacement for Waste Toner Box for device dev-42');
    expect(decision.draft.description).toContain('is full in about');
  });

  it('rejects a nonsensical lead time with the supply named', () => {
    expect(() => decideSupplyOrder({ supply, forecast: forecastIn(1), policy: { leadTimeWorkingDays: -1 }, existing: null, now })).toThrow(
      /dev-42\/supply\/1.*leadTimeWorkingDays=-1/,
    );
  });

  it('a shaken cartridge neither closes the open order nor allows a second one (end to end with the forecast)', () => {
    const shakeFrom = local('2026-03-25T10:00');
    const h = office({
      from: '2026-02-02',
      to: '2026-03-27',
      startLevel: 100,
      usePerWorkingDay: 2,
      show: (lvl, at) => ({ levelPercent: Math.round(lvl + (at >= shakeFrom ? 15 : 0)), state: 'ok' }),
    });
    const forecast = forecastSupply({ role: 'consumable', levels: h.levels, now, clock });
    expect(forecast.evidence.replacedAt).toBeNull();
    const open: SupplyOrderRecord = { status: 'open', openedAt: local('2026-03-23T10:00') };
    expect(decideSupplyOrder({ supply, forecast, policy, existing: open, now }).action).toBe('keep');
    // A real replacement afterwards closes it.
    const replaced = office({
      from: '2026-02-02',
      to: '2026-03-27',
      startLevel: 100,
      usePerWorkingDay: 2,
      replacements: [{ at: '2026-03-25T10:00', level: 100 }],
    });
    const after = forecastSupply({ role: 'consumable', levels: replaced.levels, now, clock });
    expect(decideSupplyOrder({ supply, forecast: after, policy, existing: open, now }).action).toBe('close');
  });
});
