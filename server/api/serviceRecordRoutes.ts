/**
 * The device's service record (server/serviceRecord):
 *
 *   GET /devices/:deviceKey/service-record   tickets with outcome, faults per month (jams apart),
 *        cartridges with pages printed (and yield against the rated capacity where reported),
 *        wear parts with level and forecast, firmware and identity events, counters by type
 *
 * Tickets: the hot ones and those closed in the last 12 archive months; a technician sees the
 * tickets the queue shows them. Customer tokens see their own devices only (404 otherwise).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canSeeTicket } from '../auth/access.js';
import {
  HISTORY_COLLECTIONS,
  counterPoints,
  pageReadings,
  supplyId,
  type CounterTrack,
  type FaultTimeline,
  type SupplyTrack,
} from '../history/deviceHistory.js';
import type { MeterDevice } from '../meters/meterLedger.js';
import { METER_COLLECTIONS } from '../meters/meterRecorder.js';
import { cartridges, deviceEvents, faultsPerMonth, WEAR_PARTS, type ServiceTicket } from '../serviceRecord/serviceRecord.js';
import type { Ticket } from '../tickets/ticket.js';
import type { ApiContext } from './apiPlugin.js';
import { principalOf, requires } from './apiAuth.js';
import { visibleDeviceOf } from './fleetRoutes.js';
import { forecastView, SupplyForecastView } from './historyRoutes.js';

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
const MAX_ARCHIVE_MONTHS = 12;
const MAX_COUNTER_POINTS = 1000;

const ServiceRecord = z
  .object({
    deviceKey: z.string(),
    tickets: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        status: z.string(),
        resolution: z.string().nullable(),
        openedAt: z.string(),
        resolvedAt: z.string().nullable(),
        closedAt: z.string().nullable(),
      }),
    ),
    faultsPerMonth: z.array(z.object({ month: z.string(), jams: z.number(), byCode: z.record(z.string(), z.number()) })),
    cartridges: z.array(
      z.object({
        supplyIndex: z.number(),
        name: z.string(),
        since: z.string(),
        until: z.string().nullable(),
        pages: z.number().nullable(),
        ratedPages: z.number().nullable(),
        yieldShare: z.number().nullable(),
      }),
    ),
    parts: z.array(
      z.object({
        supplyIndex: z.number(),
        name: z.string(),
        kind: z.string(),
        levelPercent: z.number().nullable(),
        state: z.string(),
        forecast: SupplyForecastView.nullable(),
      }),
    ),
    events: z.array(
      z.object({
        at: z.string(),
        kind: z.enum(['firmware', 'identityConflict', 'deviceSwap', 'missingMeter', 'meterBack']),
        detail: z.string(),
        from: z.string().nullable(),
        to: z.string().nullable(),
      }),
    ),
    firmware: z.string().nullable(),
    counters: z.object({ points: z.array(z.object({ at: z.string(), values: z.record(z.string(), z.number()) })), truncated: z.boolean() }),
  })
  .meta({ id: 'ServiceRecord' });

export const serviceRecordRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = (scope, { ctx }) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/devices/:deviceKey/service-record',
    {
      preValidation: requires('fleet:read'),
      schema: {
        tags: ['fleet'],
        summary:
          'the device’s service record: tickets with outcome, faults per month, cartridges with pages printed, wear parts with forecast, firmware changes, counters by type',
        params: z.strictObject({ deviceKey: z.string().min(1).max(600) }),
        response: { 200: ServiceRecord },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const key = req.params.deviceKey;
      const device = await visibleDeviceOf(ctx, p, key);
      const now = ctx.clock.now();
      const concerns = (t: Ticket) => (t.device?.id === key || t.affectedDevices.includes(key)) && canSeeTicket(p, t);
      const tickets: Ticket[] = (await ctx.repo.list<Ticket>('tickets')).filter(concerns);
      const months = (await ctx.repo.archiveMonths('tickets')).sort().slice(-MAX_ARCHIVE_MONTHS);
      for (const month of months) for await (const rec of ctx.repo.readArchive<Ticket>('tickets', month)) if (concerns(rec.value)) tickets.push(rec.value);
      const ticketRows: ServiceTicket[] = tickets.map((t) => ({
        id: t.id,
        title: t.title,
        status: t.status,
        resolution: t.resolution,
        openedAt: t.openedAt,
        resolvedAt: t.resolvedAt,
        closedAt: t.closedAt,
      }));
      ticketRows.sort((a, b) => b.openedAt - a.openedAt);

      const timeline = await ctx.repo.get<FaultTimeline>(HISTORY_COLLECTIONS.faults, key);
      const counters = await ctx.repo.get<CounterTrack>(HISTORY_COLLECTIONS.counters, key);
      const tracks = new Map<number, SupplyTrack>();
      for (const s of device.supplies) {
        const t = await ctx.repo.get<SupplyTrack>(HISTORY_COLLECTIONS.supplies, supplyId(key, s.index));
        if (t) tracks.set(s.index, t);
      }
      const meter = await ctx.repo.get<MeterDevice>(METER_COLLECTIONS.devices, key);
      const points = counters ? counterPoints(counters) : [];
      const shown = points.slice(-MAX_COUNTER_POINTS);
      return {
        deviceKey: key,
        tickets: ticketRows.map((t) => ({ ...t, openedAt: iso(t.openedAt), resolvedAt: isoOrNull(t.resolvedAt), closedAt: isoOrNull(t.closedAt) })),
        faultsPerMonth: faultsPerMonth({
          faults: (timeline?.entries ?? []).filter((e) => e.kind === 'raised').map((e) => ({ at: e.at, code: e.code })),
          monthOf: (at) => iso(at).slice(0, 7),
        }),
        cartridges: cartridges({
          cartridges: device.supplies
            .filter((s) => !WEAR_PARTS.has(s.kind))
            .map((supply) => ({ supply, cuts: [...(tracks.get(supply.index)?.cuts ?? [])].sort((a, b) => a - b) })),
          pages: pageReadings(counters),
        }).map((c) => ({ ...c, since: iso(c.since), until: isoOrNull(c.until) })),
        parts: device.supplies
          .filter((s) => WEAR_PARTS.has(s.kind))
          .map((s) => {
            const t = tracks.get(s.index);
            return {
              supplyIndex: s.index,
              name: s.name,
              kind: s.kind,
              levelPercent: s.levelPercent,
              state: s.state,
              forecast: t ? forecastView(t, now) : null,
            };
          }),
        events: deviceEvents(timeline?.firmware ?? [], meter?.events ?? []).map((e) => ({ ...e, at: iso(e.at) })),
        firmware: device.identity.firmware ?? null,
        counters: { points: shown.map((x) => ({ at: iso(x.at), values: x.values })), truncated: shown.length < points.length },
      };
    },
  );
  return Promise.resolve();
};
