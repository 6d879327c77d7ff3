/**
 * Demo only: weeks of plausible supply history for the simulated fleet, so that the demo shows
 * forecasts ("runs out in 6 days") and a proactive order ticket within its first minutes. The
 * simulator runs in wall-clock minutes, while forecasts need about two weeks of working-day
 * history; the demo therefore writes a backfill behind each supply's live readings once the agent
 * has reported the devices. Nothing outside `fleetdesk demo` calls this.
 *
 * For each supply with a level: an office that printed on working days (the contract calendar,
 * Polish holidays) at a rate chosen so that every third device runs out within a few working days
 * (an order is due now) and the others within 3–8 weeks; readings every 3 hours, the page counter
 * alongside. The backfill ends where the live readings start; it is written with the same pure
 * history functions as ingest, then each supply's forecast is refreshed (which opens the order
 * tickets through the ticket engine).
 */
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/logging.js';
import { FLEET_COLLECTIONS, type DeviceRecord } from '../../server/fleet/fleetModel.js';
import { DEFAULT_FORECAST_SETTINGS } from '../../server/forecast/supplyForecast.js';
import { supplyRole } from '../../server/forecast/supplyHistory.js';
import { workingDayClock, workingDaysOf } from '../../server/forecast/workingDayClock.js';
import {
  HISTORY_COLLECTIONS,
  counterPoints,
  pointsOf,
  recordCounters,
  recordLevel,
  supplyId,
  type CounterTrack,
  type SupplyTrack,
} from '../../server/history/deviceHistory.js';
import { supplyMeta } from '../../server/history/historyRecorder.js';
import type { ServerApp } from '../../server/serverApp.js';
import { contractCatalogue } from '../../server/sla/contractCatalogue.js';
import type { ServiceOutcome } from '../../server/tickets/ticketService.js';

const HOUR = 3_600_000;
/** Working days between the backfilled cartridge's installation and now, at least. */
const MIN_SPAN = 6;

/**
 * Forecast settings of the demo: as in production except that 5 working days of a cartridge (not
 * 9) and 4 days with readings (not 6) are enough, so that a cartridge running out within the lead
 * time can have a forecast in a backfill that starts at its installation.
 */
export const DEMO_FORECAST_SETTINGS = { ...DEFAULT_FORECAST_SETTINGS, minHistoryWorkingDays: 5, minDailyPoints: 4 };

function lowestConsumable(d: DeviceRecord): DeviceRecord['supplies'][number] | undefined {
  let best: DeviceRecord['supplies'][number] | undefined;
  for (const s of d.supplies) {
    if (s.levelPercent === null || (s.kind !== 'toner' && s.kind !== 'ink') || supplyRole(s) !== 'consumable') continue;
    if (!best || s.levelPercent < best.levelPercent!) best = s;
  }
  return best;
}
const DAY = 24 * HOUR;

export interface DemoHistoryOptions {
  app: ServerApp;
  clock: Clock;
  logger: Logger;
  /** Calendar days of backfill (default 30). */
  days?: number;
  /** How long to wait for the agent's first reports (ms, default 60 s). */
  waitMs?: number;
  /** Devices the agent polls: the backfill waits for all of them (or waitMs). */
  expectedDevices?: number;
}

/** Waits for the devices to be reported, then writes the backfill once. Returns a cancel function. */
export function scheduleDemoHistory(o: DemoHistoryOptions): () => void {
  let timer: TimerHandle | undefined;
  let cancelled = false;
  const started = o.clock.now();
  const attempt = async (): Promise<void> => {
    const devices = (await o.app.server.repo.list<DeviceRecord>(FLEET_COLLECTIONS.devices)).filter((d) => d.supplies.length > 0);
    if (cancelled) return;
    if (devices.length < Math.max(1, o.expectedDevices ?? 1)) {
      if (o.clock.now() - started < (o.waitMs ?? 60_000)) {
        timer = o.clock.setTimeout(() => void attempt().catch(fail), 2_000);
        return;
      }
      if (devices.length === 0) return;
    }
    const r = await seedDemoHistory(o, devices);
    o.logger.info(r, 'demo: supply history backfilled so that forecasts and order tickets show now');
  };
  const fail = (err: unknown) => o.logger.warn({ err }, 'demo: supply history backfill failed; forecasts will say "not enough data"');
  timer = o.clock.setTimeout(() => void attempt().catch(fail), 3_000);
  return () => {
    cancelled = true;
    if (timer) o.clock.clearTimeout(timer);
  };
}

/** Deterministic 0..1 from a string (so a demo rerun looks the same). */
function unit(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return ((h >>> 0) % 10_000) / 10_000;
}

export async function seedDemoHistory(
  o: DemoHistoryOptions,
  devices: readonly DeviceRecord[],
): Promise<{ devices: number; supplies: number; ordersOpened: number }> {
  const now = o.clock.now();
  const days = o.days ?? 30;
  const calendar = contractCatalogue([]).get('device-vendor').calendar;
  const clock = workingDayClock({ zone: calendar.zone, isWorkingDay: workingDaysOf(calendar) });
  const today = clock.dayOf(now);
  const from = now - days * DAY;
  let supplies = 0;
  let ordersOpened = 0;
  // An order due now for the lowest toner/ink of a third of the devices (the lowest ones, at most 60 %).
  const dueSupplies = new Set(
    devices
      .flatMap((d) => {
        const s = lowestConsumable(d);
        return s && s.levelPercent !== null && s.levelPercent <= 60 ? [{ id: supplyId(d.key, s.index), level: s.levelPercent }] : [];
      })
      .sort((a, b) => a.level - b.level || (a.id < b.id ? -1 : 1))
      .slice(0, Math.max(1, Math.ceil(devices.length / 3)))
      .map((x) => x.id),
  );
  // Order tickets opened by the backfill: notices and timers once its unit committed.
  let settled: ServiceOutcome[] = [];
  await o.app.server.repo.transaction(async (tx) => {
    settled = [];
    for (const d of devices) {
      const pagesPerWorkingDay = 150 + Math.round(unit(`${d.key}/pages`) * 300);
      const workingDaysAgo = (t: number) => clock.position(now, today) - clock.position(t, today);
      const existingCounters = await tx.get<CounterTrack>(HISTORY_COLLECTIONS.counters, d.key);
      const total = d.counters.total ?? 20_000;
      let counters: CounterTrack | undefined;
      for (let t = from; t < now - HOUR; t += 3 * HOUR)
        counters = recordCounters(counters, { deviceKey: d.key, customerId: d.customerId }, t, {
          total: Math.max(0, Math.round(total - pagesPerWorkingDay * workingDaysAgo(t))),
        }).track;
      for (const p of existingCounters ? counterPoints(existingCounters) : [])
        counters = recordCounters(counters, { deviceKey: d.key, customerId: d.customerId }, p.at, p.values).track;
      if (counters) await tx.put(HISTORY_COLLECTIONS.counters, d.key, counters);

      for (const s of d.supplies) {
        if (s.levelPercent === null) continue;
        const id = supplyId(d.key, s.index);
        const live = await tx.get<SupplyTrack>(HISTORY_COLLECTIONS.supplies, id);
        const meta = supplyMeta(d, s);
        const role = meta.role;
        // Remaining capacity now, and working days until it is used up: about 4 for the lowest
        // toner/ink of every third device (an order is due now), 15–40 for the others. The history
        // starts at the cartridge's installation (100 %), at least MIN_SPAN working days ago, and
        // nothing before it: a lone reading of the previous cartridge would draw every level chart
        // as a jump from near 0 % (test/peers/dashboard.test.ts looks for that).
        const remaining = role === 'consumable' ? s.levelPercent : 100 - s.levelPercent;
        if (remaining <= 1 || remaining >= 99) continue;
        const due = dueSupplies.has(id);
        const daysLeft = due ? 3.5 + unit(id) : 15 + unit(id) * 25;
        const rate = Math.min(remaining / daysLeft, (100 - remaining) / MIN_SPAN);
        let track: SupplyTrack | undefined;
        for (let t = from; t < now - HOUR; t += 3 * HOUR) {
          const rem = remaining + rate * workingDaysAgo(t);
          if (rem > 100) continue;
          const shown = Math.round(Math.min(100, Math.max(0, rem)));
          const level = role === 'consumable' ? shown : 100 - shown;
          const state = role === 'consumable' ? (level <= 10 ? 'low' : 'ok') : level >= 90 ? 'nearFull' : 'ok';
          track = recordLevel(track, meta, { at: t, levelPercent: level, state }).track;
        }
        for (const p of live ? pointsOf(live) : []) track = recordLevel(track, meta, { at: p.at, levelPercent: p.levelPercent, state: p.state }).track;
        if (!track) continue;
        const { track: refreshed, action } = await o.app.forecasts.refresh(tx, { ...track, ...(live?.order ? { order: live.order } : {}) }, d, now, (outcome) =>
          settled.push(outcome),
        );
        await tx.put(HISTORY_COLLECTIONS.supplies, id, refreshed);
        supplies += 1;
        if (action === 'opened') ordersOpened += 1;
      }
    }
  });
  for (const outcome of settled) o.app.tickets.settle(outcome);
  return { devices: devices.length, supplies, ordersOpened };
}
