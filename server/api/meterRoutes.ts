/**
 * Meter reading for billing (server/meters, docs/meters.md):
 *
 *   GET  /meters?period=2026-11 | ?from=2026-01&to=2026-12 [&customer][&format=csv][&dialect=pl|en]
 *                                                    the meter export of a period or a range (CSV streamed)
 *   GET  /meters/missing[?customer]                  devices silent N days before the coming cut-off, open alerts
 *   POST /devices/:deviceKey/meter-readings          a technician's reading of the panel
 *   POST /meters/:deviceKey/:period/confirm          the customer confirms the period's reading
 *
 * Customer tokens see and confirm their own devices only (404 for others, as for unknown ones).
 * The CSV is the Polish dialect unless `dialect=en` (semicolons, decimal commas; server/api/csv.ts).
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Counters } from '../../shared/snapshot.js';
import { canSeeCustomer, customerScope } from '../auth/access.js';
import { FLEET_COLLECTIONS, type DeviceRecord } from '../fleet/fleetModel.js';
import { billingOf, PERIOD_PATTERN, periodOf } from '../meters/billingPeriod.js';
import { ledgerDevices, type MeterDevice, type MeterPeriod } from '../meters/meterLedger.js';
import { indexPeriodRecords, MAX_EXPORT_PERIODS, meterJsonChunks, missingMeters, periodRange, type MeterDeviceInfo } from '../meters/meterExport.js';
import { meterCsvBytes } from '../meters/meterCsv.js';
import { METER_COLLECTIONS, MeterRecorder, periodRecordId } from '../meters/meterRecorder.js';
import type { MissingMeterAlert } from '../meters/missingMeterAlert.js';
import { ApiError } from './apiErrors.js';
import type { ApiContext } from './apiPlugin.js';
import { principalOf, requires } from './apiAuth.js';
import { visibleDeviceOf } from './fleetRoutes.js';

const iso = (ms: number) => new Date(ms).toISOString();

const MeterRow = z
  .object({
    customerId: z.string(),
    deviceKey: z.string(),
    serial: z.string().nullable(),
    model: z.string().nullable(),
    period: z.string(),
    counter: z.string().nullable().describe('null: the device sent no reading in the period (flag noReading)'),
    openingAt: z.string().nullable(),
    opening: z.number().nullable(),
    openingSource: z.string().nullable().describe('the reading: agent:<tenant>/<agentId> or manual:<token name>'),
    openingCounterSource: z
      .string()
      .nullable()
      .describe(
        'where this counter value came from: Printer-MIB …, IPP …, vendor <table>.<row>, derived <formula>, manual, customer-confirmed manual; agent: not recorded',
      ),
    openingConfidence: z.enum(['exact', 'derived', 'estimated']).nullable().describe('exact, derived or estimated; null: not recorded'),
    closingAt: z.string().nullable(),
    closing: z.number().nullable(),
    closingCounterSource: z.string().nullable(),
    closingConfidence: z.enum(['exact', 'derived', 'estimated']).nullable(),
    usage: z.number().nullable().describe('pages between the opening and closing snapshots (resets and wraps accounted for); null: nothing billable'),
    weight: z.number().nullable().describe('billing weight (A3 = the customer’s largeWeight); null: informational counter'),
    billedUnits: z.number().nullable(),
    flags: z.array(z.string()).describe('reset wrapped absurdJump identityConflict deviceSwap missingMeter noReading: look before invoicing'),
    confirmedBy: z.string().nullable(),
  })
  .meta({ id: 'MeterRow' });

const MeterExport = z.object({ from: z.string(), to: z.string(), rows: z.array(MeterRow) }).meta({ id: 'MeterExport' });

const MissingMeter = z
  .object({
    deviceKey: z.string(),
    customerId: z.string(),
    serial: z.string().nullable(),
    lastReadingAt: z.string().nullable(),
    neverReported: z.boolean().describe('no meter reading ever: its counters were never read (or it has none)'),
    cutoff: z.string(),
    silentDays: z.number().describe('days since the last reading; 0 when there never was one'),
    alertRaisedAt: z.string().nullable().describe('when the missing-meter alert (and its notification) went out; null: not yet'),
  })
  .meta({ id: 'MissingMeter' });

const MeterAlert = z
  .object({
    deviceKey: z.string(),
    customerId: z.string(),
    period: z.string(),
    cutoff: z.string(),
    raisedAt: z.string(),
    lastReadingAt: z.string().nullable(),
  })
  .meta({ id: 'MeterAlert' });

const Period = z.string().regex(PERIOD_PATTERN, 'a billing period YYYY-MM, e.g. 2026-11');
const DeviceKeyParam = z.string().min(1).max(600);

const MeterQuery = z.strictObject({
  period: Period.optional().describe('one period; or from and to'),
  from: Period.optional().describe(`first period of a range (at most ${MAX_EXPORT_PERIODS})`),
  to: Period.optional().describe('last period of the range, included; default: from'),
  customer: z.string().min(1).max(256).optional(),
  format: z.enum(['json', 'csv']).default('json'),
  dialect: z.enum(['pl', 'en']).default('pl').describe('CSV dialect: pl = semicolon and decimal comma (default), en = comma'),
});

const ManualReading = z.strictObject({
  at: z.iso.datetime({ offset: true }).optional().describe('when the panel was read; default now'),
  counters: Counters,
});

const Confirmation = z.strictObject({ note: z.string().max(500).optional() });

const PeriodSummary = z
  .object({
    deviceKey: z.string(),
    period: z.string(),
    openingAt: z.string().nullable(),
    opening: z.record(z.string(), z.number()),
    openingSource: z.string().nullable(),
    usage: z.record(z.string(), z.number()),
    flags: z.array(z.object({ at: z.string(), flag: z.string(), key: z.string().nullable(), detail: z.string() })),
    confirmation: z.object({ by: z.string(), at: z.string(), note: z.string().nullable() }).nullable(),
  })
  .meta({ id: 'MeterPeriod' });

export function periodSummary(p: MeterPeriod): z.infer<typeof PeriodSummary> {
  return {
    deviceKey: p.deviceKey,
    period: p.period,
    openingAt: p.opening ? iso(p.opening.at) : null,
    opening: { ...(p.opening?.counters ?? {}) },
    openingSource: p.opening?.source ?? null,
    usage: { ...p.usage },
    flags: p.flags.map((f) => ({ at: iso(f.at), flag: f.flag, key: f.key ?? null, detail: f.detail })),
    confirmation: p.confirmation ? { by: p.confirmation.by, at: iso(p.confirmation.at), note: p.confirmation.note ?? null } : null,
  };
}

export const meterRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = (scope, { ctx }) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const tags = ['meters'];
  const settingsFor = (customerId: string) => billingOf(ctx.config, customerId);
  // Manual readings share the ledger with ingest; this instance only adds its own "last applied" note.
  const recorder = new MeterRecorder({ billingOf: settingsFor, logger: ctx.logger });

  const visibleDevice = (req: Parameters<typeof principalOf>[0], key: string): Promise<DeviceRecord> => visibleDeviceOf(ctx, principalOf(req), key);

  app.get(
    '/meters',
    {
      preValidation: requires('fleet:read'),
      schema: {
        tags,
        summary: 'meter export of a billing period: opening and closing snapshot, usage and billed units per device and counter',
        description: 'A period runs from the customer’s billing day (00:00 in its time zone) to the next one. `format=csv` gives every row as one CSV file.',
        querystring: MeterQuery,
        response: { 200: z.union([MeterExport, z.string().describe('text/csv with ?format=csv')]) },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const q = req.query;
      const from = q.period ?? q.from;
      if (from === undefined) throw new ApiError(400, 'VALIDATION_FAILED', 'querystring: expected period=YYYY-MM, or from=YYYY-MM (and to=YYYY-MM)', 'period');
      if (q.period !== undefined && (q.from !== undefined || q.to !== undefined))
        throw new ApiError(400, 'VALIDATION_FAILED', 'querystring: period or from/to, not both', 'period');
      const to = q.to ?? from;
      const periods = periodRange(from, to);
      if (!periods)
        throw new ApiError(
          400,
          'VALIDATION_FAILED',
          `querystring.to: expected a period from ${from} up to ${MAX_EXPORT_PERIODS} periods later, found ${to}`,
          'to',
        );
      // A customer token asking for another customer gets its own rows filtered by that one: none.
      const only = customerScope(p) ?? q.customer ?? null;
      const excluded = q.customer !== undefined && only !== q.customer;
      const records = indexPeriodRecords(
        excluded ? [] : await ctx.repo.list<MeterPeriod>(METER_COLLECTIONS.periods),
        periods,
        only === null ? undefined : (r) => r.customerId === only,
      );
      // Every device of the fleet in scope, read or not: one that never sent a counter is listed too (noReading).
      const devices = new Map<string, MeterDeviceInfo>();
      for (const d of excluded ? [] : await ctx.repo.list<DeviceRecord>(FLEET_COLLECTIONS.devices)) {
        if ((only !== null && d.customerId !== only) || !canSeeCustomer(p, d.customerId)) continue;
        const firstSeen = Date.parse(d.firstSeen);
        devices.set(d.key, {
          deviceKey: d.key,
          customerId: d.customerId,
          siteId: d.siteId,
          ...(d.identity.serial !== undefined ? { serial: d.identity.serial } : {}),
          ...(d.identity.model !== undefined ? { model: d.identity.model } : {}),
          ...(Number.isFinite(firstSeen) ? { firstSeen } : {}),
        });
      }
      const input = { periods, records, devices, settingsFor, now: ctx.clock.now() };
      if (q.format === 'csv') {
        const range = from === to ? from : `${from}_${to}`;
        const file = `meters-${range}${only ? `-${only.replace(/[^\w.-]/g, '_')}` : ''}.csv`;
        return (
          reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="${file}"`)
            // Fastify pipes a stream as is; the schema's string documents what it carries.
            .send(Readable.from(meterCsvBytes(input, q.dialect)) as unknown as string)
        );
      }
      // Streamed too: a year of a large fleet is over 300 MB of JSON, near V8's longest string.
      return reply.type('application/json; charset=utf-8').send(Readable.from(meterJsonChunks(input, from, to)) as unknown as z.infer<typeof MeterExport>);
    },
  );

  app.get(
    '/meters/missing',
    {
      preValidation: requires('fleet:read'),
      schema: {
        tags,
        summary:
          'missing meters: devices silent for the customer’s missingMeterDays or more before the coming cut-off or never read, and the alerts not yet cleared by a reading',
        querystring: z.strictObject({ customer: z.string().min(1).max(256).optional() }),
        response: { 200: z.object({ devices: z.array(MissingMeter), alerts: z.array(MeterAlert) }) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const only = customerScope(p) ?? req.query.customer ?? null;
      // The fleet's devices that never reported a meter are listed too (ledgerDevices).
      const visible = ledgerDevices(
        await ctx.repo.list<MeterDevice>(METER_COLLECTIONS.devices),
        await ctx.repo.list<DeviceRecord>(FLEET_COLLECTIONS.devices),
      ).filter((d) => (only === null || d.customerId === only) && canSeeCustomer(p, d.customerId));
      const active = new Map(visible.filter((d) => d.missingMeter).map((d) => [d.deviceKey, d.missingMeter!]));
      const out = missingMeters(visible, ctx.clock.now(), settingsFor).map((m) => ({
        ...m,
        lastReadingAt: m.lastReadingAt !== null ? iso(m.lastReadingAt) : null,
        cutoff: iso(m.cutoff),
        alertRaisedAt: active.has(m.deviceKey) ? iso(active.get(m.deviceKey)!.raisedAt) : null,
      }));
      const alerts: z.infer<typeof MeterAlert>[] = [];
      for (const { id } of active.values()) {
        const a = await ctx.repo.get<MissingMeterAlert>(METER_COLLECTIONS.alerts, id);
        if (a && a.clearedAt === null)
          alerts.push({
            deviceKey: a.deviceKey,
            customerId: a.customerId,
            period: a.period,
            cutoff: iso(a.cutoff),
            raisedAt: iso(a.raisedAt),
            lastReadingAt: a.lastReadingAt !== null ? iso(a.lastReadingAt) : null,
          });
      }
      return { devices: out, alerts: alerts.sort((a, b) => a.raisedAt.localeCompare(b.raisedAt) || a.deviceKey.localeCompare(b.deviceKey)) };
    },
  );

  app.post(
    '/devices/:deviceKey/meter-readings',
    {
      preValidation: requires('meters:enter'),
      schema: {
        tags,
        summary: 'a meter reading typed in by a technician (the device’s panel); it enters the ledger like a polled one',
        params: z.strictObject({ deviceKey: DeviceKeyParam }),
        body: ManualReading,
        response: { 201: PeriodSummary },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const device = await visibleDevice(req, req.params.deviceKey);
      const at = req.body.at !== undefined ? Date.parse(req.body.at) : ctx.clock.now();
      if (at > ctx.clock.now() + 5 * 60_000)
        throw new ApiError(400, 'VALIDATION_FAILED', `body.at: expected an instant not in the future, found ${req.body.at}`, 'body.at');
      const identity = { ...(device.identity.serial !== undefined ? { serial: device.identity.serial } : {}) };
      const applied = await recorder.recordManual(ctx.repo, device, { at, counters: req.body.counters, source: `manual:${p.name}`, identity });
      if (!applied) throw new ApiError(409, 'CONFLICT', `device ${device.key} has a newer reading than ${iso(at)}: a manual reading must be the latest`);
      const period = periodOf(at, settingsFor(device.customerId));
      const rec = await ctx.repo.get<MeterPeriod>(METER_COLLECTIONS.periods, periodRecordId(device.key, period));
      return reply.code(201).send(periodSummary(rec!));
    },
  );

  app.post(
    '/meters/:deviceKey/:period/confirm',
    {
      preValidation: requires('meters:confirm'),
      schema: {
        tags,
        summary: 'the customer confirms the period’s meter reading (opening snapshot); repeating it keeps the first confirmation',
        params: z.strictObject({ deviceKey: DeviceKeyParam, period: Period }),
        body: Confirmation,
        response: { 200: PeriodSummary },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const device = await visibleDevice(req, req.params.deviceKey);
      const id = periodRecordId(device.key, req.params.period);
      const now = ctx.clock.now();
      const rec = await ctx.repo.transaction(async (tx) => {
        const cur = await tx.get<MeterPeriod>(METER_COLLECTIONS.periods, id);
        if (!cur?.opening) throw ApiError.notFound(`meter reading of ${device.key} for ${req.params.period}`);
        if (cur.confirmation) return cur;
        const next: MeterPeriod = { ...cur, confirmation: { by: p.name, at: now, ...(req.body.note !== undefined ? { note: req.body.note } : {}) } };
        await tx.put(METER_COLLECTIONS.periods, id, next);
        return next;
      });
      return periodSummary(rec);
    },
  );
  return Promise.resolve();
};
