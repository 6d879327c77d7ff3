/**
 * Fleet routes: customers, sites, agents, devices (with their latest snapshot). Customers and
 * sites come from the fleet configuration plus those only known from agents that reported
 * (tenant = customer, agent = site, see server/fleet/fleetModel.ts). Customer tokens see their
 * own customer only; a foreign id answers 404, exactly like an unknown one.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DeviceStatus } from '../../shared/snapshot.js';
import { FaultCodeSchema } from '../../shared/faults.js';
import { canSeeCustomer, customerScope } from '../auth/access.js';
import type { Principal } from '../auth/apiTokens.js';
import { deviceListingQuery } from '../fleet/deviceListing.js';
import { effectiveStatus, FLEET_COLLECTIONS, type AgentRecord, type DeviceRecord } from '../fleet/fleetModel.js';
import { ApiError } from './apiErrors.js';
import { Agent, Customer, Device, Site } from './apiSchemas.js';
import type { ApiContext } from './apiPlugin.js';
import { principalOf, requires } from './apiAuth.js';
import { PageQuery, pageOfListing, pageSchema, paginate } from './pagination.js';
import { deviceForecasts, forecastsOfDevices, SupplyForecastView } from './historyRoutes.js';

/** A device row with its supplies' forecasts (issue 9: "runs out in N days"). */
const DeviceWithForecasts = Device.extend({ forecasts: z.array(SupplyForecastView) });

type CustomerView = z.infer<typeof Customer>;
type SiteView = z.infer<typeof Site>;

const byKey = <T extends { key: string }>(a: T, b: T): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const byId = <T extends { id: string }>(a: T, b: T): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Configured customers plus the ones only seen on agents/devices. */
export function customerViews(ctx: Pick<ApiContext, 'config'>, agents: readonly AgentRecord[], devices: readonly DeviceRecord[]): CustomerView[] {
  const out = new Map<string, CustomerView>();
  for (const [id, c] of Object.entries(ctx.config.fleet.customers)) {
    out.set(id, { id, name: c.name, contract: c.contract ?? ctx.config.tickets.defaultContract, configured: true, contact: c.contact ?? null });
  }
  for (const r of [...agents, ...devices]) {
    if (!out.has(r.customerId))
      out.set(r.customerId, { id: r.customerId, name: r.customerId, contract: ctx.config.tickets.defaultContract, configured: false, contact: null });
  }
  return [...out.values()].sort(byId);
}

export function siteViews(ctx: Pick<ApiContext, 'config'>, agents: readonly AgentRecord[]): SiteView[] {
  const out = new Map<string, SiteView>();
  for (const [id, s] of Object.entries(ctx.config.fleet.sites))
    out.set(id, { id, name: s.name, customerId: s.customer, address: s.address ?? null, agents: [...s.agents], configured: true });
  for (const a of agents) {
    if (!out.has(a.siteId)) out.set(a.siteId, { id: a.siteId, name: a.siteId, customerId: a.customerId, address: null, agents: [a.key], configured: false });
  }
  return [...out.values()].sort(byId);
}

export function deviceView(d: DeviceRecord, agents: ReadonlyMap<string, AgentRecord>): z.infer<typeof Device> {
  return { ...d, effectiveStatus: effectiveStatus(d, agents.get(`${d.tenant}/${d.agentId}`)) };
}

/** A device the caller may see; 404 otherwise (another customer's device answers as a missing one). */
export async function visibleDeviceOf(ctx: Pick<ApiContext, 'repo'>, p: Principal, key: string): Promise<DeviceRecord> {
  const device = await ctx.repo.get<DeviceRecord>(FLEET_COLLECTIONS.devices, key);
  if (!device || !canSeeCustomer(p, device.customerId)) throw ApiError.notFound(`device ${JSON.stringify(key)}`);
  return device;
}

export async function loadAgents(ctx: Pick<ApiContext, 'repo'>): Promise<AgentRecord[]> {
  return ctx.repo.list<AgentRecord>(FLEET_COLLECTIONS.agents);
}

const visible = <T extends { customerId: string }>(p: Principal, rows: readonly T[]): T[] => {
  const scope = customerScope(p);
  return scope === null ? [...rows] : rows.filter((r) => r.customerId === scope);
};

const Filter = z.string().min(1).max(256);

export const DeviceQuery = PageQuery.extend({
  customer: Filter.optional(),
  site: Filter.optional(),
  agent: Filter.optional().describe('"<tenant>/<agentId>"'),
  status: DeviceStatus.optional().describe('effective status (unknown when the agent is offline)'),
  fault: FaultCodeSchema.optional().describe('devices with this active fault'),
  q: z.string().min(1).max(200).optional().describe('case-insensitive search in key, vendor, model, serial, address, location'),
});

export const fleetRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = (scope, { ctx }) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const tags = ['fleet'];

  app.get(
    '/customers',
    {
      preValidation: requires('fleet:read'),
      schema: { tags, summary: 'customers (configured and seen)', querystring: PageQuery, response: { 200: pageSchema(Customer) } },
    },
    async (req) => {
      const p = principalOf(req);
      const all = customerViews(ctx, await loadAgents(ctx), await ctx.repo.list<DeviceRecord>(FLEET_COLLECTIONS.devices));
      return paginate(
        all.filter((c) => canSeeCustomer(p, c.id)),
        req.query,
      );
    },
  );

  app.get(
    '/customers/:customerId',
    {
      preValidation: requires('fleet:read'),
      schema: { tags, summary: 'one customer', params: z.strictObject({ customerId: Filter }), response: { 200: Customer } },
    },
    async (req) => {
      const p = principalOf(req);
      const all = customerViews(ctx, await loadAgents(ctx), await ctx.repo.list<DeviceRecord>(FLEET_COLLECTIONS.devices));
      const c = all.find((x) => x.id === req.params.customerId);
      if (!c || !canSeeCustomer(p, c.id)) throw ApiError.notFound(`customer ${JSON.stringify(req.params.customerId)}`);
      return c;
    },
  );

  app.get(
    '/sites',
    {
      preValidation: requires('fleet:read'),
      schema: { tags, summary: 'sites', querystring: PageQuery.extend({ customer: Filter.optional() }), response: { 200: pageSchema(Site) } },
    },
    async (req) => {
      const p = principalOf(req);
      const rows = visible(p, siteViews(ctx, await loadAgents(ctx))).filter((s) => req.query.customer === undefined || s.customerId === req.query.customer);
      return paginate(rows, req.query);
    },
  );

  app.get(
    '/agents',
    {
      preValidation: requires('fleet:read'),
      schema: {
        tags,
        summary: 'agents: online/offline, last seen, outbox depth',
        querystring: PageQuery.extend({ customer: Filter.optional(), site: Filter.optional(), state: z.enum(['online', 'offline']).optional() }),
        response: { 200: pageSchema(Agent) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const q = req.query;
      const rows = visible(p, await loadAgents(ctx))
        .filter(
          (a) =>
            (q.customer === undefined || a.customerId === q.customer) &&
            (q.site === undefined || a.siteId === q.site) &&
            (q.state === undefined || a.state === q.state),
        )
        .sort(byKey);
      return paginate(rows, q);
    },
  );

  app.get(
    '/devices',
    {
      preValidation: requires('fleet:read'),
      schema: {
        tags,
        summary: 'devices with their latest snapshot and supply forecasts',
        querystring: DeviceQuery,
        response: { 200: pageSchema(DeviceWithForecasts) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const q = req.query;
      const agentList = await loadAgents(ctx);
      const agents = new Map(agentList.map((a) => [a.key, a]));
      // One page of the fleet listing (server/fleet/deviceListing.ts), filtered through the store's indexes.
      const query = deviceListingQuery({ ...q, scope: customerScope(p) }, agentList, q);
      const page = pageOfListing(await ctx.repo.listingPage<DeviceRecord>(FLEET_COLLECTIONS.devices, query), q, (d) => deviceView(d, agents));
      // The page's forecasts in one store read, not one per supply of each row.
      const forecasts = await forecastsOfDevices(ctx.repo, page.items, ctx.clock.now());
      return { ...page, items: page.items.map((d, i) => ({ ...d, forecasts: forecasts[i]! })) };
    },
  );

  app.get(
    '/devices/:deviceKey',
    {
      preValidation: requires('fleet:read'),
      schema: {
        tags,
        summary: 'one device: identity, live state, supplies, counters, faults, and its agent',
        description: 'The key contains "/" and ":": URL-encode it (e.g. acme%2Fsn%3Aabc123).',
        params: z.strictObject({ deviceKey: z.string().min(1).max(600) }),
        response: { 200: z.object({ device: Device, agent: Agent.nullable(), forecasts: z.array(SupplyForecastView) }) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const d = await visibleDeviceOf(ctx, p, req.params.deviceKey);
      const agent = (await ctx.repo.get<AgentRecord>(FLEET_COLLECTIONS.agents, `${d.tenant}/${d.agentId}`)) ?? null;
      return { device: deviceView(d, new Map(agent ? [[agent.key, agent]] : [])), agent, forecasts: await deviceForecasts(ctx.repo, d, ctx.clock.now()) };
    },
  );
  return Promise.resolve();
};
