/**
 * The fleet list and the ticket queue as store listings (server/fleet/deviceListing.ts,
 * server/tickets/ticketListing.ts) on PostgreSQL and on the embedded store, on one random fleet:
 *  - both stores answer every query with the same page and total, and both agree with the lists'
 *    meaning written out plainly here (effective status, text search, access, queue order);
 *  - on PostgreSQL a page is one statement that reads the page's records only, never the
 *    collection (counted by PostgreSQL's own per-transaction table statistics).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceStatus } from '../../shared/snapshot.js';
import { FAULT_CODES } from '../../shared/faults.js';
import { deviceListingQuery, type DeviceListFilter } from '../../server/fleet/deviceListing.js';
import { effectiveStatus, type AgentRecord, type DeviceRecord } from '../../server/fleet/fleetModel.js';
import { IMPACT_RANK, type Impact } from '../../server/sla/contract.js';
import { contractCatalogue } from '../../server/sla/contractCatalogue.js';
import { JournaledStore } from '../../server/storage/journaledStore.js';
import { SERVER_LISTINGS, SERVER_UNIQUE_KEYS } from '../../server/storage/openRepository.js';
import { PostgresStore } from '../../server/storage/postgresStore.js';
import type { ListingQuery, Repository } from '../../server/storage/repository.js';
import type { Ticket, TicketStatus } from '../../server/tickets/ticket.js';
import { isBreached, ticketListingFilter, type TicketListAccess, type TicketListFilter } from '../../server/tickets/ticketListing.js';
import { openReportedTicket } from '../../server/tickets/ticketOpening.js';
import { DEFAULT_POLICY } from '../../server/tickets/ticketPolicy.js';
import { activeDeadline } from '../../server/tickets/workQueue.js';
import { makeTempDir } from '../harness/peers.js';
import { startPostgres, type PostgresPeer } from '../harness/postgres.js';
import { seededRandom, type Rng } from '../harness/seededRandom.js';

const DEVICES = 3000;
const TICKETS = 1500;
const AGENTS = 40;
const CUSTOMERS = 8;
const STATUSES: DeviceStatus[] = ['idle', 'printing', 'warmup', 'warning', 'down', 'unknown', 'unreachable'];
const HOT: TicketStatus[] = ['new', 'acknowledged', 'inProgress', 'waitingForCustomer', 'resolved'];
const IMPACTS: Impact[] = ['critical', 'high', 'medium', 'low'];
const START = Date.parse('2026-03-02T09:00:00Z');

let server: PostgresPeer;
let pgStore: PostgresStore;
let embedded: JournaledStore;
let url: string;
const tmp = makeTempDir('listing-pages');
const rng = seededRandom(2026);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const agents: AgentRecord[] = [];
const devices = new Map<string, DeviceRecord>();
const tickets = new Map<string, Ticket>();

function randomDevice(r: Rng, n: number): DeviceRecord {
  const a = Math.floor(r() * (AGENTS + 2)); // two agents never reported: their devices are "unknown"
  const tenant = `c${a % CUSTOMERS}`;
  const iso = new Date(START).toISOString();
  return {
    key: `${tenant}/sn:${pick(r, ['SN', 'sn', 'Xk'])}${n}`,
    tenant,
    customerId: tenant,
    siteId: `${tenant}/a${a}`,
    agentId: `a${a}`,
    agentDeviceId: `p${n}`,
    identity: {
      vendor: pick(r, ['HP', 'Canon', 'Brother', 'KONICA MINOLTA', 'Épson']),
      model: `${pick(r, ['LaserJet', 'imageRUNNER', 'bizhub', 'EcoTank'])} ${n % 97}`,
      serial: `S${n}`,
      ...(r() < 0.5 ? { location: pick(r, ['Floor 2, room 201', 'Kraków — biuro', 'Hall_B 50%', 'back\\office']) } : {}),
    },
    ...(r() < 0.8 ? { address: `10.0.${n >> 8}.${n & 255}` } : {}),
    status: pick(r, STATUSES),
    reachable: r() < 0.9,
    faults: FAULT_CODES.filter(() => r() < 0.05).map((code) => ({ code, severity: 'warning', source: 'agent', message: code, firstSeen: iso })),
    supplies: [],
    inputs: [],
    counters: { total: n },
    firstSeen: iso,
    lastSeen: iso,
  };
}

function randomTicket(r: Rng, i: number, device: DeviceRecord): Ticket {
  const contracts = contractCatalogue();
  const opened = openReportedTicket(
    {
      title: `Ticket ${i}`,
      channel: 'monitoring',
      customer: { id: device.customerId, name: device.customerId, contact: { name: 'Contact' }, contractId: 'device-vendor' },
      site: { id: device.siteId, name: device.siteId },
      device: { id: device.key, vendor: device.identity.vendor, model: device.identity.model, serial: device.identity.serial },
      impact: pick(r, IMPACTS),
      description: 'random',
      by: 'test',
    },
    {
      now: START - Math.floor(r() * 8 * 3_600_000),
      config: DEFAULT_POLICY,
      contractFor: (id) => contracts.get(id),
      capUsedMinutes: 0,
      defaultContractId: 'device-vendor',
      newTicketId: () => `T${String(i + 1).padStart(6, '0')}`,
    },
  ).tickets[0]!;
  const running = r() < 0.85;
  return {
    ...opened,
    status: pick(r, HOT),
    queue: pick(r, ['general', 'field', 'remote']),
    assignee: pick(r, [null, null, 'ola', 'tomek']),
    affectedDevices: r() < 0.1 ? [device.key, pick(r, [...devices.keys()])] : opened.affectedDevices,
    sla: {
      ...opened.sla,
      reaction: { ...opened.sla.reaction, breached: r() < 0.2, ...(running ? {} : { state: 'stopped' as const }) },
    },
  };
}

beforeAll(async () => {
  server = await startPostgres();
  url = await server.newDatabase('listings');
  pgStore = new PostgresStore({ url, poolSize: 2, healthCheckMs: 0, uniqueKeys: SERVER_UNIQUE_KEYS, listings: SERVER_LISTINGS });
  embedded = new JournaledStore({ dir: tmp.path, uniqueKeys: SERVER_UNIQUE_KEYS, listings: SERVER_LISTINGS });
  await pgStore.open();
  await embedded.open();
  for (let a = 0; a < AGENTS; a++) {
    const tenant = `c${a % CUSTOMERS}`;
    agents.push({ key: `${tenant}/a${a}`, customerId: tenant, siteId: `${tenant}/a${a}`, state: rng() < 0.8 ? 'online' : 'offline' } as AgentRecord);
  }
  for (let n = 0; n < DEVICES; n++) {
    const d = randomDevice(rng, n);
    devices.set(d.key, d);
  }
  const keys = [...devices.keys()];
  for (let i = 0; i < TICKETS; i++) {
    const t = randomTicket(rng, i, devices.get(pick(rng, keys))!);
    tickets.set(t.id, t);
  }
  for (const store of [pgStore, embedded] as Repository[]) {
    await store.transaction(async (tx) => {
      for (const a of agents) await tx.put('agents', a.key, a);
    });
    for (let i = 0; i < keys.length; i += 1000) {
      await store.transaction(async (tx) => {
        for (const k of keys.slice(i, i + 1000)) await tx.put('devices', k, devices.get(k)!);
      });
    }
    await store.transaction(async (tx) => {
      for (const t of tickets.values()) await tx.put('tickets', t.id, t);
    });
  }
  // A second round as the product changes records: telemetry (update, counters only), status
  // changes, tickets moving on, a device removed, a ticket archived.
  const changes = Array.from({ length: 300 }, () => ({ key: pick(rng, keys), roll: rng(), status: pick(rng, STATUSES) }));
  const ticketChanges = Array.from({ length: 200 }, () => ({ id: pick(rng, [...tickets.keys()]), roll: rng(), status: pick(rng, HOT) }));
  for (const store of [pgStore, embedded] as Repository[]) {
    await store.transaction(async (tx) => {
      for (const c of changes) {
        const d = await tx.get<DeviceRecord>('devices', c.key);
        if (!d) continue;
        if (c.roll < 0.6) await tx.update('devices', c.key, d, { ...d, counters: { total: d.counters.total! + 1 } });
        else if (c.roll < 0.95) await tx.update('devices', c.key, d, { ...d, status: c.status });
        else await tx.delete('devices', c.key);
      }
      for (const c of ticketChanges) {
        const t = await tx.get<Ticket>('tickets', c.id);
        if (!t) continue;
        if (c.roll < 0.9) await tx.put('tickets', c.id, { ...t, status: c.status, assignee: c.roll < 0.3 ? 'tomek' : t.assignee });
        else await tx.archive('tickets', c.id, { ...t, status: 'closed' }, new Date(START));
      }
    });
  }
  for (const c of changes) {
    const d = devices.get(c.key);
    if (!d) continue;
    if (c.roll < 0.6) devices.set(c.key, { ...d, counters: { total: d.counters.total! + 1 } });
    else if (c.roll < 0.95) devices.set(c.key, { ...d, status: c.status });
    else devices.delete(c.key);
  }
  for (const c of ticketChanges) {
    const t = tickets.get(c.id);
    if (!t) continue;
    if (c.roll < 0.9) tickets.set(c.id, { ...t, status: c.status, assignee: c.roll < 0.3 ? 'tomek' : t.assignee });
    else tickets.delete(c.id);
  }
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query('ANALYZE');
  await admin.end();
}, 120_000);

afterAll(async () => {
  await pgStore?.close();
  await embedded?.close();
  await server?.stop();
  tmp.remove();
});

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The fleet list's meaning, as the route computed it over every device before listings. */
function fleetOracle(f: DeviceListFilter, q: { offset: number; limit: number }): { keys: string[]; total: number } {
  const agentOf = new Map(agents.map((a) => [a.key, a]));
  const needle = f.q?.toLowerCase();
  const rows = [...devices.values()]
    .filter(
      (d) =>
        (f.scope === null || d.customerId === f.scope) &&
        (f.customer === undefined || d.customerId === f.customer) &&
        (f.site === undefined || d.siteId === f.site) &&
        (f.agent === undefined || `${d.tenant}/${d.agentId}` === f.agent) &&
        (f.fault === undefined || d.faults.some((x) => x.code === f.fault)) &&
        (f.status === undefined || effectiveStatus(d, agentOf.get(`${d.tenant}/${d.agentId}`)) === f.status) &&
        (needle === undefined ||
          [d.key, d.identity.vendor, d.identity.model, d.identity.serial, d.address, d.identity.location].some(
            (x) => x !== undefined && x.toLowerCase().includes(needle),
          )),
    )
    .map((d) => d.key)
    .sort(byText);
  return { keys: rows.slice(q.offset, q.offset + q.limit), total: rows.length };
}

/** The queue's meaning: filters and access checked on each ticket, sorted by support-contracts §3. */
function queueOracle(f: TicketListFilter, access: TicketListAccess, q: { offset: number; limit: number }): { ids: string[]; total: number } {
  const key = (t: Ticket) => [activeDeadline(t) ?? Number.POSITIVE_INFINITY, IMPACT_RANK[t.impact], t.openedAt] as const;
  const rows = [...tickets.values()]
    .filter(
      (t) =>
        (access.customer === null || t.customer.id === access.customer) &&
        (access.technician === null || t.assignee === null || t.assignee === access.technician) &&
        (f.status === undefined || f.status.includes(t.status)) &&
        (f.impact === undefined || f.impact.includes(t.impact)) &&
        (f.queue === undefined || t.queue === f.queue) &&
        (f.customer === undefined || t.customer.id === f.customer) &&
        (f.device === undefined || t.device?.id === f.device || t.affectedDevices.includes(f.device)) &&
        (f.breached === undefined || isBreached(t) === f.breached) &&
        (f.assignee === undefined || t.assignee === f.assignee),
    )
    .sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
      return byText(a.id, b.id);
    })
    .map((t) => t.id);
  return { ids: rows.slice(q.offset, q.offset + q.limit), total: rows.length };
}

function randomFleetFilter(r: Rng): DeviceListFilter {
  const some = (p: number) => r() < p;
  const a = Math.floor(r() * (AGENTS + 2));
  return {
    scope: some(0.3) ? `c${Math.floor(r() * CUSTOMERS)}` : null,
    ...(some(0.3) ? { customer: `c${Math.floor(r() * CUSTOMERS)}` } : {}),
    ...(some(0.15) ? { site: `c${a % CUSTOMERS}/a${a}` } : {}),
    ...(some(0.15) ? { agent: `c${a % CUSTOMERS}/a${a}` } : {}),
    ...(some(0.4) ? { status: pick(r, STATUSES) } : {}),
    ...(some(0.2) ? { fault: pick(r, FAULT_CODES) } : {}),
    ...(some(0.4) ? { q: pick(r, ['hp', 'LASER', 'sn:sn1', 'kraków', '50%', '_b', 'back\\', 's12', 'épson', '10.0.3.', 'zzz']) } : {}),
  };
}

function randomQueueFilter(r: Rng): { f: TicketListFilter; access: TicketListAccess } {
  const some = (p: number) => r() < p;
  return {
    f: {
      ...(some(0.3) ? { status: HOT.filter(() => r() < 0.5) } : {}),
      ...(some(0.3) ? { impact: IMPACTS.filter(() => r() < 0.5) } : {}),
      ...(some(0.2) ? { queue: pick(r, ['general', 'field', 'remote']) } : {}),
      ...(some(0.3) ? { customer: `c${Math.floor(r() * CUSTOMERS)}` } : {}),
      ...(some(0.1) ? { device: pick(r, [...devices.keys()]) } : {}),
      ...(some(0.2) ? { breached: r() < 0.5 } : {}),
      ...(some(0.2) ? { assignee: pick(r, [null, 'ola', 'tomek']) } : {}),
    },
    access: { customer: some(0.3) ? `c${Math.floor(r() * CUSTOMERS)}` : null, technician: some(0.2) ? 'tomek' : null },
  };
}

describe('listings on PostgreSQL and on the embedded store', () => {
  it('the fleet list: the same pages from both stores, and the meaning of every filter', async () => {
    const r = seededRandom(17);
    let nonEmpty = 0;
    for (let k = 0; k < 150; k++) {
      const f = randomFleetFilter(r);
      const page = { offset: pick(r, [0, 0, 20, 100]), limit: pick(r, [10, 50]) };
      const q = deviceListingQuery(f, agents, page);
      const [a, b] = await Promise.all([pgStore.listingPage<DeviceRecord>('devices', q), embedded.listingPage<DeviceRecord>('devices', q)]);
      const want = fleetOracle(f, page);
      expect({ keys: a.items.map((d) => d.key), total: a.total }, JSON.stringify(f)).toEqual(want);
      expect({ keys: b.items.map((d) => d.key), total: b.total }, JSON.stringify(f)).toEqual(want);
      expect(a.items).toEqual(b.items);
      if (want.keys.length > 0) nonEmpty += 1;
    }
    // The random filters must exercise pages with rows, not only empty ones.
    expect(nonEmpty).toBeGreaterThan(50);
  });

  it('the ticket queue: the same pages from both stores, in work-queue order, with access and every filter', async () => {
    const r = seededRandom(23);
    let nonEmpty = 0;
    for (let k = 0; k < 150; k++) {
      const { f, access } = randomQueueFilter(r);
      const page = { offset: pick(r, [0, 0, 20, 100]), limit: pick(r, [10, 50]) };
      const filter = ticketListingFilter(f, access);
      const q: ListingQuery = { ...(filter ? { filter } : {}), ...page };
      const [a, b] = await Promise.all([pgStore.listingPage<Ticket>('tickets', q), embedded.listingPage<Ticket>('tickets', q)]);
      const want = queueOracle(f, access, page);
      expect({ ids: a.items.map((t) => t.id), total: a.total }, JSON.stringify({ f, access })).toEqual(want);
      expect({ ids: b.items.map((t) => t.id), total: b.total }, JSON.stringify({ f, access })).toEqual(want);
      if (want.ids.length > 0) nonEmpty += 1;
    }
    expect(nonEmpty).toBeGreaterThan(50);
  });

  it('on PostgreSQL a page is one statement that reads the page of records, not the collection', async () => {
    const pool = pgStore.pgPool!;
    const sent: { text: string; values: unknown[] }[] = [];
    const original = pool.query.bind(pool) as (text: string, values?: unknown[]) => Promise<pg.QueryResult>;
    (pool as unknown as { query: unknown }).query = (text: string, values?: unknown[]) => {
      sent.push({ text, values: values ?? [] });
      return original(text, values);
    };
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    // Rows of `records` a statement reads (sequentially or through an index), from PostgreSQL's
    // own counters of the backend's pending statistics: read before and after, in one transaction.
    const counted = "SELECT (pg_stat_get_xact_tuples_returned('records'::regclass) + pg_stat_get_xact_tuples_fetched('records'::regclass))::text AS n";
    const recordsRead = async (text: string, values: unknown[]): Promise<number> => {
      await client.query('BEGIN');
      const before = await client.query<{ n: string }>(counted);
      await client.query(text, values);
      const after = await client.query<{ n: string }>(counted);
      await client.query('ROLLBACK');
      return Number(after.rows[0]!.n) - Number(before.rows[0]!.n);
    };
    try {
      // The measure sees a whole-collection read (what the lists did before listings).
      expect(await recordsRead("SELECT json_agg(value) FROM records WHERE collection = 'devices'", [])).toBeGreaterThanOrEqual(devices.size);
      const queries: [string, ListingQuery][] = [
        ['devices', deviceListingQuery({ scope: null }, agents, { offset: 500, limit: 50 })],
        ['devices', deviceListingQuery({ scope: 'c3' }, agents, { offset: 0, limit: 50 })],
        ['devices', deviceListingQuery({ scope: null, status: 'idle', q: 'laser' }, agents, { offset: 0, limit: 50 })],
        ['tickets', { offset: 0, limit: 50 }],
        ['tickets', { filter: ticketListingFilter({ impact: ['critical', 'high'] }, { customer: 'c2', technician: null })!, offset: 0, limit: 50 }],
      ];
      for (const [collection, q] of queries) {
        sent.length = 0;
        const page = await pgStore.listingPage(collection, q);
        expect(sent).toHaveLength(1);
        expect(page.items.length).toBeGreaterThan(0);
        // The same statement again, on a connection of our own.
        expect(await recordsRead(sent[0]!.text, sent[0]!.values), `${collection} ${JSON.stringify(q).slice(0, 200)}`).toBeLessThanOrEqual(q.limit);
      }
    } finally {
      (pool as unknown as { query: unknown }).query = original;
      await client.end();
    }
  });
});
