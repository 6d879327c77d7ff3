/**
 * The whole server app (startServerApp: storage, ingest, embedded broker, tickets, API) over a
 * temp data dir with a manual clock, plus one token per role and tenant, and helpers to feed
 * agent messages and call the API with fastify `inject`. Two customers: acme (two sites) and
 * globex (one site), so every customer-scoped route can be checked across tenants.
 */
import type { LightMyRequestResponse } from 'fastify';
import { createLogger } from '../../../shared/logging.js';
import type { WireMessage } from '../../../shared/wire/messages.js';
import type { Fault } from '../../../shared/snapshot.js';
import { createApiToken, type ApiRole } from '../../../server/auth/apiTokens.js';
import { ServerConfig } from '../../../server/serverConfig.js';
import { startServerApp, type ServerApp } from '../../../server/serverApp.js';
import { ManualClock } from '../../harness/manualClock.js';
import { makeTempDir } from '../../harness/peers.js';
import { bytes, fault, raisedMsg, stateMsg, statusMsg, topicOf } from '../server/wireFixtures.js';
import type { Notice } from '../../../server/tickets/ticketPolicy.js';

export const ADMIN_TOKEN = 'fdk_test-admin-token-0123456789abcdefghij';

export const FLEET = {
  customers: {
    acme: { name: 'ACME sp. z o.o.', contract: 'device-vendor', tenants: ['acme'], contact: { name: 'Jan Kowalski', email: 'jan@example.com' } },
    globex: { name: 'Globex S.A.', contract: 'device-vendor', tenants: ['globex'], contact: { name: 'Anna Nowak' } },
  },
  sites: {
    'acme-hq': { name: 'ACME HQ', customer: 'acme', agents: ['acme/a1'] },
    'acme-wro': { name: 'ACME Wrocław', customer: 'acme', agents: ['acme/a2'] },
    'globex-waw': { name: 'Globex Warszawa', customer: 'globex', agents: ['globex/g1'] },
  },
};

export type TokenName = 'admin' | 'dispatcher' | 'tech' | 'otherTech' | 'acme' | 'globex';

export interface ApiKit {
  app: ServerApp;
  clock: ManualClock;
  dir: string;
  /** Every ticket notice the server published (after its unit of work committed), in order. */
  notices: Notice[];
  tokens: Record<TokenName, string>;
  send(msg: WireMessage): Promise<void>;
  /** Devices acme/sn:sn-a1 (site acme-hq) and globex/sn:sn-g1, each with one raised fault → one ticket each. */
  seed(): Promise<{ acmeTicket: string; globexTicket: string }>;
  call(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    token?: string | null,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  json<T = Record<string, unknown>>(res: LightMyRequestResponse): T;
  close(): Promise<void>;
}

/** `extraConfig`: further server.yaml sections (e.g. `notifications`), merged at the top level. */
export async function makeApiKit(extraConfig: Record<string, unknown> = {}): Promise<ApiKit> {
  const temp = makeTempDir('api');
  const clock = new ManualClock('2026-01-05T08:00:30Z');
  const config = ServerConfig.parse({
    dataDir: temp.path,
    http: { host: '127.0.0.1', port: 0 },
    broker: { embedded: { host: '127.0.0.1', port: 0 } },
    fleet: FLEET,
    log: { level: 'silent' },
    ...extraConfig,
  });
  const logger = createLogger({ name: 'api-test', level: 'silent' });
  const notices: Notice[] = [];
  const app = await startServerApp(config, logger, { clock, env: { FLEETDESK_ADMIN_TOKEN: ADMIN_TOKEN }, onNotice: (n) => notices.push(n) });
  const now = new Date(clock.now());
  const make = async (role: ApiRole, name: string, customerId: string | null) => (await createApiToken(app.server.repo, { role, name, customerId }, now)).token;
  const tokens: Record<TokenName, string> = {
    admin: ADMIN_TOKEN,
    dispatcher: await make('dispatcher', 'disp', null),
    tech: await make('technician', 'tomek', null),
    otherTech: await make('technician', 'ola', null),
    acme: await make('customer', 'acme-viewer', 'acme'),
    globex: await make('customer', 'globex-viewer', 'globex'),
  };
  const send = async (msg: WireMessage) => {
    const verdict = await app.server.ingest.handle(topicOf(msg), bytes(msg));
    if (verdict.outcome !== 'accepted') throw new Error(`test message not accepted: ${JSON.stringify(verdict)}`);
  };
  const kit: ApiKit = {
    app,
    clock,
    dir: temp.path,
    notices,
    tokens,
    send,
    seed: async () => {
      await send(statusMsg('acme', 'a1', 'online'));
      await send(statusMsg('globex', 'g1', 'online'));
      await send(stateMsg('acme', 'a1', 'p1', { identity: { vendor: 'HP', model: 'LaserJet M404', serial: 'SN-A1' } }));
      await send(stateMsg('acme', 'a1', 'p2', { identity: { vendor: 'Brother', model: 'HL-L5100', serial: 'SN-A2' } }));
      await send(stateMsg('globex', 'g1', 'p1', { identity: { vendor: 'Canon', model: 'iR-ADV C5535', serial: 'SN-G1' } }));
      const jam: Fault = fault('jam');
      await send(raisedMsg('acme', 'a1', 'p1', jam));
      await send(raisedMsg('globex', 'g1', 'p1', { ...fault('toner.empty'), subunit: { group: 'markerSupplies', index: 1, name: 'Black Cartridge' } }));
      const list = (await app.tickets.workQueue()).map((t) => ({ id: t.id, customer: t.customer.id }));
      const acmeTicket = list.find((t) => t.customer === 'acme')?.id;
      const globexTicket = list.find((t) => t.customer === 'globex')?.id;
      if (!acmeTicket || !globexTicket) throw new Error(`seeding opened tickets ${JSON.stringify(list)}`);
      return { acmeTicket, globexTicket };
    },
    call: (method, url, token = ADMIN_TOKEN, body, headers = {}) =>
      app.server.http.inject({
        method,
        url,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}),
      }),
    json: <T>(res: LightMyRequestResponse) => JSON.parse(res.body) as T,
    close: async () => {
      await app.close();
      temp.remove();
    },
  };
  return kit;
}
