/**
 * End to end through the server with a manual clock: a synthetic office history of one toner is
 * replayed as agent telemetry (ingest → fleet state → history records → forecast → order ticket
 * through the ticket engine → store → API). The order ticket must open once, before the true
 * run-out, carrying the supply and the forecast; never a second one while open; and close when
 * the cartridge is replaced. The API shows the history, the forecast and the "to order" list,
 * to the device's own customer only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceStateMessage, DeviceTelemetryMessage } from '../../../shared/wire/messages.js';
import { HISTORY_COLLECTIONS, supplyId, type SupplyTrack } from '../../../server/history/deviceHistory.js';
import { workingDaysOf } from '../../../server/forecast/workingDayClock.js';
import { contractCatalogue } from '../../../server/sla/contractCatalogue.js';
import type { Ticket } from '../../../server/tickets/ticket.js';
import { makeApiKit, type ApiKit } from '../api/apiTestKit.js';
import { env, fault, raisedMsg, clearedMsg, statusMsg } from '../server/wireFixtures.js';
import { local, office } from '../forecast/histories.js';

const DEVICE = 'acme/sn:sn-h1';
const H = 3_600_000;

let kit: ApiKit;
const calendar = contractCatalogue([]).get('device-vendor').calendar;
// 90 % at the start, 4 points per working day: empty after 22.5 working days; replaced on 2026-02-20.
const history = office({
  from: '2026-01-12',
  to: '2026-03-04',
  usePerWorkingDay: 4,
  startLevel: 90,
  pollHours: 3,
  pagesPerWorkingDay: 180,
  isWorkingDay: workingDaysOf(calendar),
  replacements: [{ at: '2026-02-20T10:00', level: 100 }],
});
const replacedAt = local('2026-02-20T10:00');
const firstRunOut = (() => {
  for (let t = local('2026-01-12T00:00'); t < replacedAt; t += 60_000) if (history.trueLevel(t) <= 0) return t;
  throw new Error('the first cartridge never runs out');
})();

interface Seen {
  ticketIds: Set<string>;
  openedAt: number | null;
  detailMidway: Record<string, unknown> | null;
}
const seen: Seen = { ticketIds: new Set(), openedAt: null, detailMidway: null };

function stateOf(level: number | null, state: string, at: number): DeviceStateMessage {
  return {
    ...env('acme', 'a1', new Date(at).toISOString()),
    type: 'device.state',
    deviceId: 'h1',
    seq: 1,
    snapshot: {
      address: '192.0.2.50',
      protocols: ['snmp'],
      collectedAt: new Date(at).toISOString(),
      identity: { vendor: 'HP', model: 'LaserJet M404', serial: 'SN-H1' },
      status: 'idle',
      faults: [],
      supplies: [
        {
          index: 1,
          name: 'Black Toner',
          kind: 'toner',
          color: 'black',
          levelPercent: level,
          state: state as 'ok',
          partNumber: 'CF259A',
          raw: { level, max: 100, unit: 19, class: 3, type: 3 },
        },
      ],
      inputs: [],
      counters: { total: 50_000 },
    },
  };
}

function telemetry(level: number | null, state: string, pages: number, at: number, seq: number): DeviceTelemetryMessage {
  return {
    ...env('acme', 'a1', new Date(at).toISOString()),
    type: 'device.telemetry',
    deviceId: 'h1',
    seq,
    status: 'idle',
    supplies: [{ index: 1, kind: 'toner', color: 'black', levelPercent: level, state: state as 'ok' }],
    counters: { total: pages },
  };
}

async function track(): Promise<SupplyTrack | undefined> {
  return kit.app.server.repo.get<SupplyTrack>(HISTORY_COLLECTIONS.supplies, supplyId(DEVICE, 1));
}

beforeAll(async () => {
  kit = await makeApiKit();
  await kit.send(statusMsg('acme', 'a1', 'online'));
  const first = history.levels[0]!;
  kit.clock.jump(first.at + 60_000);
  await kit.send(stateOf(first.levelPercent, first.state, first.at));
  let seq = 2;
  for (let i = 1; i < history.levels.length; i++) {
    const r = history.levels[i]!;
    kit.clock.jump(r.at + 60_000);
    await kit.send(telemetry(r.levelPercent, r.state, history.pages[i]!.pages, r.at, seq++));
    // A jam and its clearing once, for the fault timeline.
    if (i === 40) await kit.send(raisedMsg('acme', 'a1', 'h1', fault('jam'), new Date(r.at + 60_000).toISOString(), seq++));
    if (i === 41) await kit.send(clearedMsg('acme', 'a1', 'h1', 'jam', new Date(r.at + 60_000).toISOString(), seq++));
    const t = await track();
    if (t?.order?.status === 'open') {
      seen.ticketIds.add(t.order.ticketId);
      seen.openedAt ??= t.order.openedAt;
    }
    // Midway through the first cartridge: the device page's forecast.
    if (seen.detailMidway === null && r.at >= local('2026-02-02T12:00')) {
      seen.detailMidway = kit.json(await kit.call('GET', `/api/v1/devices/${encodeURIComponent(DEVICE)}`));
    }
    // The day before the replacement: what is to be ordered.
    if (r.at >= local('2026-02-19T12:00') && r.at < local('2026-02-19T15:00')) {
      const page = kit.json<{ items: Array<{ deviceKey: string; forecast: { status: string; order: { ticketId: string } | null } }>; total: number }>(
        await kit.call('GET', '/api/v1/supplies/to-order?within=7'),
      );
      expect(page.items.map((x) => x.deviceKey)).toContain(DEVICE);
      const row = page.items.find((x) => x.deviceKey === DEVICE)!;
      expect(row.forecast.status).toBe('reached');
      expect(row.forecast.order?.ticketId).toBe([...seen.ticketIds][0]);
      const other = kit.json<{ total: number }>(await kit.call('GET', '/api/v1/supplies/to-order?within=7', kit.tokens.globex));
      expect(other.total).toBe(0);
      const csv = await kit.call('GET', '/api/v1/supplies/to-order?within=7&format=csv');
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      const lines = csv.body
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\r\n');
      expect(lines[0]).toBe(
        'customer,site,device,vendor,model,serial,location,supply,part number,kind,color,status,level now %,runs out (date),earliest,latest,days left,confidence,method,order ticket',
      );
      expect(
        lines.some((l) => l.startsWith(`acme,acme-hq,${DEVICE},HP,LaserJet M404,SN-H1,`) && l.includes('CF259A') && l.includes(row.forecast.order!.ticketId)),
      ).toBe(true);
    }
  }
}, 120_000);

afterAll(async () => {
  await kit.close();
});

describe('proactive supply orders end to end', () => {
  it('opens exactly one order ticket, before the true run-out, with the supply and the forecast', async () => {
    expect(seen.ticketIds.size).toBe(1);
    expect(seen.openedAt).not.toBeNull();
    expect(seen.openedAt!).toBeLessThan(firstRunOut);
    // Ordered with most of the lead time (5 working days) to spare: at least 3 calendar days ahead.
    expect(firstRunOut - seen.openedAt!).toBeGreaterThan(3 * 24 * H);
    const id = [...seen.ticketIds][0]!;
    const t = kit.json<Ticket>(await kit.call('GET', `/api/v1/tickets/${id}`));
    expect(t.key).toBe(`order:${DEVICE}/supply/1`);
    expect(t.impact).toBe('low');
    expect(t.faults.map((f) => f.code)).toEqual(['supply.order']);
    expect(t.supplyOrder).toMatchObject({
      supplyIndex: 1,
      partDescription: 'Black Toner (CF259A)',
      kind: 'toner',
      color: 'black',
      target: 'empty',
      leadTimeWorkingDays: 5,
    });
    expect(t.supplyOrder!.evidence.method).toBe('levelTrend');
    expect(t.supplyOrder!.date).toMatch(/^2026-02-\d\d$/);
    expect(t.sla.contractId).toBe('device-vendor');
    expect(t.title).toContain('CF259A');
    // Its notice left once, after the ingest transaction that opened it committed.
    expect(kit.notices.filter((n) => n.ticketId === id && n.kind === 'ticket.opened')).toHaveLength(1);
  });

  it('closes the order when the cartridge is replaced, and orders nothing for the new one yet', async () => {
    const id = [...seen.ticketIds][0]!;
    const t = kit.json<Ticket>(await kit.call('GET', `/api/v1/tickets/${id}`));
    expect(t.status).toBe('closed');
    expect(t.resolution).toBe('byDevice');
    expect(t.supplyOrder!.replacedAt).toBeGreaterThanOrEqual(replacedAt - 3 * H);
    expect(t.closedAt!).toBeGreaterThan(replacedAt);
    const tr = (await track())!;
    expect(tr.order).toMatchObject({ status: 'closed', ticketId: id });
    expect(tr.forecast?.replacedAt).toBeGreaterThanOrEqual(replacedAt - 3 * H);
    const open = (await kit.app.tickets.workQueue()).filter((x) => x.key.startsWith('order:'));
    expect(open).toEqual([]);
  });

  it('shows the forecast on the device page ("runs out in N days", range, confidence)', () => {
    const body = seen.detailMidway as { forecasts: Array<Record<string, unknown>> };
    expect(body.forecasts).toHaveLength(1);
    const f = body.forecasts[0]!;
    expect(f).toMatchObject({ supplyIndex: 1, status: 'forecast', target: 'empty', method: 'levelTrend' });
    expect(f.daysLeft as number).toBeGreaterThan(3);
    expect(f.daysLeftLow as number).toBeLessThanOrEqual(f.daysLeft as number);
    expect(['high', 'medium', 'low']).toContain(f.confidence);
    // The true run-out is ~10 days after 2026-02-02; the estimate is within a few days of it.
    const at = Date.parse(f.runsOutAt as string);
    expect(Math.abs(at - firstRunOut)).toBeLessThan(4 * 24 * H);
  });

  it('serves the device history: level points across the replacement, counters, fault timeline', async () => {
    const res = await kit.call('GET', `/api/v1/devices/${encodeURIComponent(DEVICE)}/history?from=2026-01-01T00:00:00Z`);
    expect(res.statusCode, res.body).toBe(200);
    const h = kit.json<{
      supplies: Array<{ points: Array<{ at: string; levelPercent: number | null; state: string }>; forecast: unknown }>;
      counters: { points: Array<{ values: Record<string, number> }> };
      faults: { entries: Array<{ kind: string; code: string }> };
    }>(res);
    const pts = h.supplies[0]!.points;
    // Downsampled: far fewer points than readings, at most two per day plus pinned ones.
    expect(pts.length).toBeLessThan(history.levels.length / 2);
    expect(pts.length).toBeGreaterThan(40);
    expect(pts.some((p) => p.state === 'empty')).toBe(true);
    expect(pts.at(-1)!.levelPercent).toBeGreaterThan(50);
    expect(h.counters.points.length).toBeGreaterThan(30);
    // One counter point a day: the last one is a reading of the last day, exactly as sent.
    const last = h.counters.points.at(-1)! as { at: string; values: Record<string, number> };
    expect(history.pages.find((p) => p.at === Date.parse(last.at))?.pages).toBe(last.values.total);
    expect(Date.parse(last.at)).toBeGreaterThan(history.pages.at(-1)!.at - 24 * H);
    expect(h.faults.entries.map((e) => `${e.kind} ${e.code}`)).toEqual(['raised jam', 'cleared jam']);
    const limited = kit.json<{ supplies: Array<{ points: unknown[]; truncated: boolean }> }>(
      await kit.call('GET', `/api/v1/devices/${encodeURIComponent(DEVICE)}/history?limit=5&supply=1`),
    );
    expect(limited.supplies[0]!.points).toHaveLength(5);
    expect(limited.supplies[0]!.truncated).toBe(true);
    expect((await kit.call('GET', `/api/v1/devices/${encodeURIComponent(DEVICE)}/history`, kit.tokens.globex)).statusCode).toBe(404);
    expect((await kit.call('GET', `/api/v1/devices/${encodeURIComponent(DEVICE)}/history`, kit.tokens.acme)).statusCode).toBe(200);
    const bad = await kit.call('GET', `/api/v1/devices/${encodeURIComponent(DEVICE)}/history?from=2026-03-01T00:00:00Z&to=2026-02-01T00:00:00Z`);
    expect(bad.statusCode).toBe(400);
    expect(kit.json(bad)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'querystring.from' });
  });

  it('shows forecasts in the fleet list', async () => {
    const page = kit.json<{ items: Array<{ key: string; forecasts: Array<{ supplyIndex: number; status: string }> }> }>(
      await kit.call('GET', '/api/v1/devices?q=SN-H1'),
    );
    expect(page.items.map((d) => d.key)).toEqual([DEVICE]);
    expect(page.items[0]!.forecasts.map((f) => f.supplyIndex)).toEqual([1]);
  });
});
