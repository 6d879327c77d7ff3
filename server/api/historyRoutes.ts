/**
 * Device history and supply forecasts (issue 9, issue 8's device history):
 *
 *   GET /devices/:deviceKey/history?from&to&supply&limit   level points per supply, page counters,
 *        fault timeline and firmware changes between `from` and `to` (default: the last 90 days); hot records first, the
 *        monthly archive only when `from` reaches before them (at most 12 archive months scanned)
 *   GET /supplies/to-order?within=7&customer&site&format=csv
 *        supplies that run out (or fill up) within `within` calendar days by their early bound,
 *        already empty/full, or with an open order ticket; earliest first; CSV with ?format=csv
 *
 * Forecasts come from the supply history records (server/history), refreshed at ingest and by
 * the daily sweep (server/forecast/forecastService.ts); `daysLeft` is counted from the request.
 * Customer tokens see their own devices only (404 for others, as for unknown ones).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FaultCodeSchema } from '../../shared/faults.js';
import { SupplyKind, SupplyState } from '../../shared/snapshot.js';
import { customerScope } from '../auth/access.js';
import { FLEET_COLLECTIONS, type DeviceRecord } from '../fleet/fleetModel.js';
import {
  HISTORY_COLLECTIONS,
  counterPoints,
  pointsOf,
  supplyId,
  type ArchiveChunk,
  type CounterTrack,
  type FaultTimeline,
  type SupplyTrack,
  type TimelineEntry,
} from '../history/deviceHistory.js';
import type { Repository } from '../storage/repository.js';
import { ApiError } from './apiErrors.js';
import type { ApiContext } from './apiPlugin.js';
import { principalOf, requires } from './apiAuth.js';
import { visibleDeviceOf } from './fleetRoutes.js';
import { csvDocument } from './csv.js';
import { PageQuery, pageSchema, paginate } from './pagination.js';

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : iso(ms));

/** What a supply is: the fields the forecast and the history views both start with. */
const supplyIdentityShape = {
  supplyIndex: z.number().int(),
  name: z.string(),
  partNumber: z.string().nullable(),
  kind: SupplyKind,
  color: z.string().nullable(),
  role: z.enum(['consumable', 'receptacle']),
};

function supplyIdentity(track: SupplyTrack): z.infer<z.ZodObject<typeof supplyIdentityShape>> {
  return { supplyIndex: track.index, name: track.name, partNumber: track.partNumber ?? null, kind: track.kind, color: track.color, role: track.role };
}

export const SupplyForecastView = z
  .object({
    ...supplyIdentityShape,
    /** forecast | reached (empty/full now) | distant (beyond ~2 years) | notEnoughData */
    status: z.enum(['forecast', 'reached', 'distant', 'notEnoughData']),
    target: z.enum(['empty', 'full']),
    computedAt: z.string(),
    /** Point estimate of the run-out; for `reached`, since when. */
    runsOutAt: z.string().nullable(),
    /** Local date of the estimate (contract calendar zone). */
    date: z.string().nullable(),
    earliest: z.string().nullable(),
    latest: z.string().nullable(),
    /** Calendar days from now to the estimate / the range ends (rounded to 0.1; 0 when reached). */
    daysLeft: z.number().nullable(),
    daysLeftLow: z.number().nullable(),
    daysLeftHigh: z.number().nullable(),
    workingDaysLeft: z.object({ estimate: z.number(), low: z.number(), high: z.number().nullable() }).nullable(),
    confidence: z.enum(['high', 'medium', 'low']).nullable(),
    method: z.enum(['levelTrend', 'pageCounter']).nullable(),
    /** notEnoughData: why (e.g. shortHistory) and a sentence. */
    reason: z.string().nullable(),
    message: z.string().nullable(),
    levelNow: z.number().nullable(),
    levelPerWorkingDay: z.number().nullable(),
    cartridgeSince: z.string().nullable(),
    order: z.object({ status: z.enum(['open', 'closed']), ticketId: z.string(), openedAt: z.string() }).nullable(),
  })
  .meta({ id: 'SupplyForecast' });
export type SupplyForecastView = z.infer<typeof SupplyForecastView>;

const days = (ms: number | null | undefined, now: number): number | null =>
  ms === null || ms === undefined ? null : Math.max(0, Math.round(((ms - now) / DAY) * 10) / 10);

export function forecastView(track: SupplyTrack, now: number): SupplyForecastView | null {
  const f = track.forecast;
  if (!f) return null;
  const reached = f.status === 'reached';
  return {
    ...supplyIdentity(track),
    status: f.status,
    target: f.target,
    computedAt: iso(f.computedAt),
    runsOutAt: isoOrNull(reached ? f.since : f.at),
    date: f.date ?? null,
    earliest: isoOrNull(f.earliest),
    latest: isoOrNull(f.latest),
    daysLeft: reached ? 0 : days(f.at, now),
    daysLeftLow: reached ? 0 : days(f.earliest, now),
    daysLeftHigh: reached ? 0 : days(f.latest, now),
    workingDaysLeft: f.workingDaysLeft ?? null,
    confidence: f.confidence ?? null,
    method: f.method ?? null,
    reason: f.reason ?? null,
    message: f.message ?? null,
    levelNow: f.levelNow ?? null,
    levelPerWorkingDay: f.levelPerWorkingDay ?? null,
    cartridgeSince: isoOrNull(f.cartridgeSince),
    order: track.order ? { status: track.order.status, ticketId: track.order.ticketId, openedAt: iso(track.order.openedAt) } : null,
  };
}

/**
 * Forecasts of the current supplies of several devices (a page of the fleet list), per device in
 * the order given: one store read for all of them (PostgreSQL: one query), whatever the page size.
 */
export async function forecastsOfDevices(
  repo: Pick<Repository, 'getMany'>,
  devices: readonly Pick<DeviceRecord, 'key' | 'supplies'>[],
  now: number,
): Promise<SupplyForecastView[][]> {
  const tracks = await repo.getMany<SupplyTrack>(
    HISTORY_COLLECTIONS.supplies,
    devices.flatMap((d) => d.supplies.map((s) => supplyId(d.key, s.index))),
  );
  let next = 0;
  return devices.map((d) =>
    d.supplies.flatMap(() => {
      const track = tracks[next++];
      const view = track ? forecastView(track, now) : null;
      return view ? [view] : [];
    }),
  );
}

/** Forecasts of one device's current supplies (one store read). */
export async function deviceForecasts(
  repo: Pick<Repository, 'getMany'>,
  device: Pick<DeviceRecord, 'key' | 'supplies'>,
  now: number,
): Promise<SupplyForecastView[]> {
  return (await forecastsOfDevices(repo, [device], now))[0]!;
}

const LevelPoint = z.object({ at: z.string(), levelPercent: z.number().nullable(), state: SupplyState });
const SupplySeries = z.object({
  ...supplyIdentityShape,
  points: z.array(LevelPoint),
  /** More points matched than `limit`: the oldest were left out. */
  truncated: z.boolean(),
  forecast: SupplyForecastView.nullable(),
});
const CounterPoint = z.object({ at: z.string(), values: z.record(z.string(), z.number()) });
const TimelineView = z.object({
  at: z.string(),
  kind: z.enum(['raised', 'cleared', 'unreachable', 'reachable', 'customerNotified']),
  code: FaultCodeSchema,
  severity: z.string().nullable(),
  message: z.string().nullable(),
  firstSeen: z.string().nullable(),
  lastError: z.string().nullable(),
});
export const FirmwareChangeView = z.object({ at: z.string(), from: z.string(), to: z.string() });
const DeviceHistory = z
  .object({
    deviceKey: z.string(),
    from: z.string(),
    to: z.string(),
    supplies: z.array(SupplySeries),
    counters: z.object({ points: z.array(CounterPoint), truncated: z.boolean() }),
    faults: z.object({ entries: z.array(TimelineView), truncated: z.boolean() }),
    /** New firmware versions the device reported between `from` and `to`, oldest first. */
    firmware: z.array(FirmwareChangeView),
    /** Archive months read for this answer (empty when the hot records covered `from`). */
    archiveMonths: z.array(z.string()),
  })
  .meta({ id: 'DeviceHistory' });

const HistoryQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional().describe('ISO instant; default 90 days before `to`'),
  to: z.iso.datetime({ offset: true }).optional().describe('ISO instant; default now'),
  supply: z.coerce.number().int().min(0).max(1_000_000).optional().describe('only this supply index'),
  limit: z.coerce.number().int().min(1).max(5000).default(1000).describe('at most this many points per series (the latest)'),
});

const ToOrderQuery = PageQuery.extend({
  within: z.coerce.number().int().min(0).max(365).default(7).describe('calendar days ahead (by the early bound of the forecast); default 7 = this week'),
  customer: z.string().min(1).max(256).optional(),
  site: z.string().min(1).max(256).optional(),
  format: z.enum(['json', 'csv']).default('json').describe('csv: every row as one CSV file (no paging)'),
  dialect: z.enum(['en', 'pl']).default('en').describe('CSV dialect: en = comma, pl = semicolon and decimal comma'),
});

const ToOrderRow = z
  .object({
    deviceKey: z.string(),
    customerId: z.string(),
    siteId: z.string(),
    vendor: z.string().nullable(),
    model: z.string().nullable(),
    serial: z.string().nullable(),
    location: z.string().nullable(),
    address: z.string().nullable(),
    forecast: SupplyForecastView,
  })
  .meta({ id: 'SupplyToOrder' });
type ToOrderRow = z.infer<typeof ToOrderRow>;

const MAX_ARCHIVE_MONTHS = 12;

function monthsBetween(from: number, to: number): string[] {
  const out: string[] = [];
  const d = new Date(Date.UTC(new Date(from).getUTCFullYear(), new Date(from).getUTCMonth(), 1));
  while (d.getTime() <= to && out.length < MAX_ARCHIVE_MONTHS) {
    out.push(d.toISOString().slice(0, 7));
    d.setUTCMonth(d.getUTCMonth() + 1);
  }
  return out;
}

const latest = <T>(rows: T[], limit: number): { rows: T[]; truncated: boolean } =>
  rows.length > limit ? { rows: rows.slice(rows.length - limit), truncated: true } : { rows, truncated: false };

export const historyRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = (scope, { ctx }) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const tags = ['fleet'];

  app.get(
    '/devices/:deviceKey/history',
    {
      preValidation: requires('fleet:read'),
      schema: {
        tags,
        summary: 'device history: supply level points, page counters, fault timeline (and each supply’s forecast)',
        description:
          'Levels are stored change-only and downsampled (first and latest reading per UTC day, plus every state change or jump). URL-encode the key.',
        params: z.strictObject({ deviceKey: z.string().min(1).max(600) }),
        querystring: HistoryQuery,
        response: { 200: DeviceHistory },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const key = req.params.deviceKey;
      const device = await visibleDeviceOf(ctx, p, key);
      const now = ctx.clock.now();
      const q = req.query;
      const to = q.to !== undefined ? Date.parse(q.to) : now;
      const from = q.from !== undefined ? Date.parse(q.from) : to - 90 * DAY;
      if (from > to)
        throw new ApiError(400, 'VALIDATION_FAILED', `querystring.from: expected an instant before "to" (${iso(to)}), found ${iso(from)}`, 'querystring.from');
      const within = (at: number) => at >= from && at <= to;

      const indexes = new Set(device.supplies.map((s) => s.index));
      const tracks: SupplyTrack[] = [];
      for (const index of indexes) {
        if (q.supply !== undefined && index !== q.supply) continue;
        const t = await ctx.repo.get<SupplyTrack>(HISTORY_COLLECTIONS.supplies, supplyId(key, index));
        if (t) tracks.push(t);
      }
      const counters = await ctx.repo.get<CounterTrack>(HISTORY_COLLECTIONS.counters, key);
      const timeline = await ctx.repo.get<FaultTimeline>(HISTORY_COLLECTIONS.faults, key);

      // Older points are in the archive: read it only when `from` reaches before the hot records.
      const hotStart = Math.min(...tracks.map((t) => t.base), counters?.base ?? Number.POSITIVE_INFINITY, timeline?.entries[0]?.at ?? Number.POSITIVE_INFINITY);
      const archived: ArchiveChunk[] = [];
      let archiveMonths: string[] = [];
      if (from < hotStart) {
        const available = new Set(await ctx.repo.archiveMonths(HISTORY_COLLECTIONS.archive));
        archiveMonths = monthsBetween(from, now).filter((m) => available.has(m));
        for (const month of archiveMonths) {
          for await (const rec of ctx.repo.readArchive<ArchiveChunk>(HISTORY_COLLECTIONS.archive, month)) {
            const c = rec.value;
            if (c.deviceKey === key && c.to >= from && c.from <= to) archived.push(c);
          }
        }
      }

      const supplies = tracks.map((t) => {
        const old = archived
          .filter((c) => c.kind === 'supply' && c.supplyIndex === t.index)
          .flatMap((c) => c.supplyPoints ?? [])
          .map(([at, levelPercent, state]) => ({ at, levelPercent, state }));
        const hot = pointsOf(t).map(({ at, levelPercent, state }) => ({ at, levelPercent, state }));
        const all = [...old, ...hot].filter((x) => within(x.at)).sort((a, b) => a.at - b.at);
        const cut = latest(all, q.limit);
        return {
          ...supplyIdentity(t),
          points: cut.rows.map((x) => ({ at: iso(x.at), levelPercent: x.levelPercent, state: x.state })),
          truncated: cut.truncated,
          forecast: forecastView(t, now),
        };
      });
      const counterRows = [...archived.filter((c) => c.kind === 'counters').flatMap((c) => c.counterPoints ?? []), ...(counters ? counterPoints(counters) : [])]
        .filter((x) => within(x.at))
        .sort((a, b) => a.at - b.at);
      const c = latest(counterRows, q.limit);
      const entries: TimelineEntry[] = [...archived.filter((x) => x.kind === 'faults').flatMap((x) => x.entries ?? []), ...(timeline?.entries ?? [])]
        .filter((x) => within(x.at))
        .sort((a, b) => a.at - b.at);
      const e = latest(entries, q.limit);
      return {
        deviceKey: key,
        from: iso(from),
        to: iso(to),
        supplies,
        counters: { points: c.rows.map((x) => ({ at: iso(x.at), values: x.values })), truncated: c.truncated },
        faults: {
          entries: e.rows.map((x) => ({
            at: iso(x.at),
            kind: x.kind,
            code: x.code,
            severity: x.severity ?? null,
            message: x.message ?? null,
            firstSeen: isoOrNull(x.firstSeen),
            lastError: x.lastError ?? null,
          })),
          truncated: e.truncated,
        },
        firmware: (timeline?.firmware ?? []).filter((x) => within(x.at)).map((x) => ({ at: iso(x.at), from: x.from, to: x.to })),
        archiveMonths,
      };
    },
  );

  app.get(
    '/supplies/to-order',
    {
      preValidation: requires('fleet:read'),
      schema: {
        tags,
        summary: 'supplies to order: run out (or fill up) within `within` days, already empty/full, or with an open order ticket',
        description: 'Earliest first. `?format=csv` answers every row as text/csv (UTF-8 with BOM, RFC 4180 quoting).',
        querystring: ToOrderQuery,
        produces: ['application/json', 'text/csv'],
        // The CSV body is a string sent as text/csv (not serialised as JSON).
        response: { 200: z.union([pageSchema(ToOrderRow), z.string().describe('text/csv with ?format=csv')]) },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const q = req.query;
      const now = ctx.clock.now();
      const scopeId = customerScope(p);
      const horizon = now + q.within * DAY;
      const due = (await ctx.repo.list<SupplyTrack>(HISTORY_COLLECTIONS.supplies)).filter((t) => {
        if (scopeId !== null && t.customerId !== scopeId) return false;
        if (q.customer !== undefined && t.customerId !== q.customer) return false;
        const f = t.forecast;
        if (t.order?.status === 'open') return true;
        if (!f) return false;
        return f.status === 'reached' || (f.status === 'forecast' && (f.earliest ?? f.at ?? Number.POSITIVE_INFINITY) <= horizon);
      });
      const rows: ToOrderRow[] = [];
      // The devices of the due supplies, each once, in one store read.
      const keys = [...new Set(due.map((t) => t.deviceKey))];
      const records = await ctx.repo.getMany<DeviceRecord>(FLEET_COLLECTIONS.devices, keys);
      const devices = new Map(keys.map((k, i) => [k, records[i]]));
      for (const t of due) {
        const d = devices.get(t.deviceKey);
        if (!d || !d.supplies.some((s) => s.index === t.index)) continue;
        if (q.site !== undefined && d.siteId !== q.site) continue;
        const forecast = forecastView(t, now);
        if (!forecast) continue;
        rows.push({
          deviceKey: d.key,
          customerId: d.customerId,
          siteId: d.siteId,
          vendor: d.identity.vendor ?? null,
          model: d.identity.model ?? null,
          serial: d.identity.serial ?? null,
          location: d.identity.location ?? null,
          address: d.address ?? null,
          forecast,
        });
      }
      const when = (r: ToOrderRow) =>
        Date.parse(r.forecast.status === 'reached' ? (r.forecast.runsOutAt ?? '') : (r.forecast.earliest ?? r.forecast.runsOutAt ?? '')) ||
        Number.POSITIVE_INFINITY;
      rows.sort(
        (a, b) => when(a) - when(b) || (a.deviceKey < b.deviceKey ? -1 : a.deviceKey > b.deviceKey ? 1 : a.forecast.supplyIndex - b.forecast.supplyIndex),
      );
      if (q.format === 'csv') {
        const body = csvDocument(
          [
            'customer',
            'site',
            'device',
            'vendor',
            'model',
            'serial',
            'location',
            'supply',
            'part number',
            'kind',
            'color',
            'status',
            'level now %',
            'runs out (date)',
            'earliest',
            'latest',
            'days left',
            'confidence',
            'method',
            'order ticket',
          ],
          rows.map((r) => {
            const f = r.forecast;
            return [
              r.customerId,
              r.siteId,
              r.deviceKey,
              r.vendor,
              r.model,
              r.serial,
              r.location,
              f.name,
              f.partNumber,
              f.kind,
              f.color,
              f.status,
              f.levelNow,
              f.date ?? f.runsOutAt?.slice(0, 10) ?? null,
              f.earliest?.slice(0, 10) ?? null,
              f.latest?.slice(0, 10) ?? null,
              f.daysLeft,
              f.confidence,
              f.method,
              f.order?.status === 'open' ? f.order.ticketId : null,
            ];
          }),
          q.dialect,
        );
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="supplies-to-order-${iso(now).slice(0, 10)}.csv"`)
          .send(body);
      }
      return paginate(rows, q);
    },
  );
  return Promise.resolve();
};
