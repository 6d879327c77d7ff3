/**
 * The auth matrix: every API route × every role × tenant. Each cell says whether the caller gets
 * through (2xx, or 409 from the ticket lifecycle), is forbidden (403) or sees nothing (404, as
 * for an unknown id). For customer tokens every successful body is also scanned for the other
 * customer's ids and names: a customer can never read another customer's data. The matrix must
 * cover every route of the OpenAPI document (checked below), so a new route without a row fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../../server/auth/apiTokens.js';
import { DEFAULT_IMPACT_RULES } from '../../../server/impact/impactRules.js';
import { makeApiKit, type ApiKit, type TokenName } from './apiTestKit.js';

type Cell = 'ok' | 403 | 404;
type Row = [
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  route: string,
  url: () => string,
  body: unknown,
  cells: Record<TokenName, Cell>,
  headers?: Record<string, string>,
];

let kit: ApiKit;
let acmeTicket = '';
let globexTicket = '';
/** A token for the admin to revoke in its row. */
let spareTokenId = '';
/** A contract for the admin to create, change and retire in its rows. */
const MATRIX_CONTRACT = {
  id: 'matrix-c',
  name: 'Matrix',
  calendar: { zone: 'Europe/Warsaw', holidays: 'PL', week: { mon: ['08:00-16:00'] } },
  levels: [{ id: 'a', label: 'A', reaction: '2h' }],
  impactToLevel: { critical: 'a', high: 'a', medium: 'a', low: 'a' },
  queues: { default: 'general' },
};

const ACME_DEVICE = encodeURIComponent('acme/sn:sn-a1');
const GLOBEX_DEVICE = encodeURIComponent('globex/sn:sn-g1');

const all = (c: Cell): Record<TokenName, Cell> => ({ admin: c, dispatcher: c, tech: c, otherTech: c, acme: c, globex: c });
const staff = (customer: Cell, extra: Partial<Record<TokenName, Cell>> = {}): Record<TokenName, Cell> => ({
  admin: 'ok',
  dispatcher: 'ok',
  tech: 'ok',
  otherTech: 'ok',
  acme: customer,
  globex: customer,
  ...extra,
});
/** Customer-owned data of acme: acme reads it, globex must not even learn it exists. */
const acmeOwned = (extra: Partial<Record<TokenName, Cell>> = {}): Record<TokenName, Cell> => ({
  admin: 'ok',
  dispatcher: 'ok',
  tech: 'ok',
  otherTech: 'ok',
  acme: 'ok',
  globex: 404,
  ...extra,
});
const globexOwned = (extra: Partial<Record<TokenName, Cell>> = {}): Record<TokenName, Cell> => ({
  admin: 'ok',
  dispatcher: 'ok',
  tech: 'ok',
  otherTech: 'ok',
  acme: 404,
  globex: 'ok',
  ...extra,
});
const adminOnly: Record<TokenName, Cell> = { admin: 'ok', dispatcher: 403, tech: 403, otherTech: 403, acme: 403, globex: 403 };
const ticketAction: Record<TokenName, Cell> = { admin: 'ok', dispatcher: 'ok', tech: 404, otherTech: 'ok', acme: 403, globex: 403 };
const vendorWrite: Record<TokenName, Cell> = { admin: 'ok', dispatcher: 'ok', tech: 403, otherTech: 403, acme: 403, globex: 403 };

// The acme ticket is assigned to "ola" (otherTech): "tomek" (tech) does not see it; the globex one stays in the queue.
const ROWS: Row[] = [
  ['GET', '/api/v1/me', () => '/api/v1/me', undefined, all('ok')],
  ['GET', '/api/v1/customers', () => '/api/v1/customers', undefined, all('ok')],
  ['GET', '/api/v1/customers/{customerId}', () => '/api/v1/customers/acme', undefined, acmeOwned()],
  ['GET', '/api/v1/customers/{customerId}', () => '/api/v1/customers/globex', undefined, globexOwned()],
  ['GET', '/api/v1/sites', () => '/api/v1/sites', undefined, all('ok')],
  ['GET', '/api/v1/agents', () => '/api/v1/agents', undefined, all('ok')],
  ['GET', '/api/v1/devices', () => '/api/v1/devices', undefined, all('ok')],
  ['GET', '/api/v1/devices', () => '/api/v1/devices?customer=globex', undefined, all('ok')],
  ['GET', '/api/v1/devices/{deviceKey}', () => `/api/v1/devices/${ACME_DEVICE}`, undefined, acmeOwned()],
  ['GET', '/api/v1/devices/{deviceKey}', () => `/api/v1/devices/${GLOBEX_DEVICE}`, undefined, globexOwned()],
  ['GET', '/api/v1/devices/{deviceKey}/history', () => `/api/v1/devices/${ACME_DEVICE}/history`, undefined, acmeOwned()],
  ['GET', '/api/v1/devices/{deviceKey}/history', () => `/api/v1/devices/${GLOBEX_DEVICE}/history`, undefined, globexOwned()],
  ['GET', '/api/v1/supplies/to-order', () => '/api/v1/supplies/to-order?within=30', undefined, all('ok')],
  ['GET', '/api/v1/supplies/to-order', () => '/api/v1/supplies/to-order?within=30&format=csv&customer=globex', undefined, all('ok')],
  ['GET', '/api/v1/devices/{deviceKey}/service-record', () => `/api/v1/devices/${ACME_DEVICE}/service-record`, undefined, acmeOwned()],
  ['GET', '/api/v1/devices/{deviceKey}/service-record', () => `/api/v1/devices/${GLOBEX_DEVICE}/service-record`, undefined, globexOwned()],
  ['GET', '/api/v1/meters', () => '/api/v1/meters?period=2026-01', undefined, all('ok')],
  ['GET', '/api/v1/meters', () => '/api/v1/meters?period=2026-01&format=csv&customer=globex', undefined, all('ok')],
  ['GET', '/api/v1/meters/missing', () => '/api/v1/meters/missing', undefined, all('ok')],
  // A technician types in the panel's reading; customers do not (a second reading at the same instant: 409).
  ['POST', '/api/v1/devices/{deviceKey}/meter-readings', () => `/api/v1/devices/${ACME_DEVICE}/meter-readings`, { counters: { total: 1200 } }, staff(403)],
  ['POST', '/api/v1/devices/{deviceKey}/meter-readings', () => `/api/v1/devices/${GLOBEX_DEVICE}/meter-readings`, { counters: { total: 1200 } }, staff(403)],
  // The customer confirms its own period's reading (the admin may on its behalf).
  [
    'POST',
    '/api/v1/meters/{deviceKey}/{period}/confirm',
    () => `/api/v1/meters/${ACME_DEVICE}/2026-01/confirm`,
    {},
    { admin: 'ok', dispatcher: 403, tech: 403, otherTech: 403, acme: 'ok', globex: 404 },
  ],
  [
    'POST',
    '/api/v1/meters/{deviceKey}/{period}/confirm',
    () => `/api/v1/meters/${GLOBEX_DEVICE}/2026-01/confirm`,
    {},
    { admin: 'ok', dispatcher: 403, tech: 403, otherTech: 403, acme: 404, globex: 'ok' },
  ],
  ['GET', '/api/v1/tickets', () => '/api/v1/tickets', undefined, all('ok')],
  ['GET', '/api/v1/tickets', () => '/api/v1/tickets?customer=globex&status=new,acknowledged,closed', undefined, all('ok')],
  ['GET', '/api/v1/tickets/{id}', () => `/api/v1/tickets/${acmeTicket}`, undefined, acmeOwned({ tech: 404 })],
  ['GET', '/api/v1/tickets/{id}', () => `/api/v1/tickets/${globexTicket}`, undefined, globexOwned()],
  ['GET', '/api/v1/tickets/{id}/time-entries', () => `/api/v1/tickets/${acmeTicket}/time-entries`, undefined, acmeOwned({ tech: 404 })],
  ['POST', '/api/v1/tickets/{id}/time-entries', () => `/api/v1/tickets/${acmeTicket}/time-entries`, { channel: 'phone', minutes: 5 }, ticketAction],
  ...(
    [
      'acknowledge',
      'start',
      'escalate',
      'wait-for-customer',
      'customer-replied',
      'contact-attempts',
      'resolve',
      'close',
      'reopen',
      'comments',
      'matter',
    ] as const
  ).map((action): Row => [
    'POST',
    `/api/v1/tickets/{id}/${action}`,
    () => `/api/v1/tickets/${acmeTicket}/${action}`,
    {
      acknowledge: {},
      start: {},
      escalate: { reason: 'r' },
      'wait-for-customer': { question: 'q' },
      'customer-replied': { text: 't' },
      'contact-attempts': { channel: 'phone', note: 'n' },
      resolve: { solution: 's' },
      close: {},
      reopen: { reason: 'r' },
      comments: { text: 'c' },
      matter: { matter: 'bug', reason: 'r' },
    }[action],
    // Customers are read-only (403 before anything is looked up); technicians act only on tickets they see.
    ticketAction,
  ]),
  // On-site visits: requested and recorded by whoever acts on the ticket, scheduled by the dispatch desk.
  ['POST', '/api/v1/tickets/{id}/visits', () => `/api/v1/tickets/${acmeTicket}/visits`, { reason: 'fuser' }, ticketAction],
  [
    'PATCH',
    '/api/v1/tickets/{id}/visits/{visitId}',
    () => `/api/v1/tickets/${acmeTicket}/visits/V1`,
    { technician: 'ola' },
    { ...ticketAction, otherTech: 403 },
  ],
  ['POST', '/api/v1/tickets/{id}/visits/{visitId}/arrival', () => `/api/v1/tickets/${acmeTicket}/visits/V1/arrival`, {}, ticketAction],
  ['POST', '/api/v1/tickets/{id}/visits/{visitId}/departure', () => `/api/v1/tickets/${acmeTicket}/visits/V1/departure`, { workDone: 'w' }, ticketAction],
  // Reports: the desk for anyone, a customer for itself only; technicians work tickets, they do not take reports.
  [
    'POST',
    '/api/v1/tickets',
    () => '/api/v1/tickets',
    { customer: 'acme', subject: 'Matrix report', channel: 'portal' },
    { admin: 'ok', dispatcher: 'ok', tech: 403, otherTech: 403, acme: 'ok', globex: 403 },
  ],
  [
    'POST',
    '/api/v1/tickets/{id}/replies',
    () => `/api/v1/tickets/${acmeTicket}/replies`,
    { text: 'reply' },
    { admin: 'ok', dispatcher: 'ok', tech: 403, otherTech: 403, acme: 'ok', globex: 404 },
  ],
  [
    'POST',
    '/api/v1/tickets/{id}/confirm',
    () => `/api/v1/tickets/${acmeTicket}/confirm`,
    {},
    { admin: 'ok', dispatcher: 'ok', tech: 403, otherTech: 403, acme: 'ok', globex: 404 },
  ],
  // Corrections: admin and dispatcher only.
  ['POST', '/api/v1/tickets/{id}/change-impact', () => `/api/v1/tickets/${acmeTicket}/change-impact`, { impact: 'high', reason: 'r' }, vendorWrite],
  [
    'POST',
    '/api/v1/tickets/{id}/change-contract',
    () => `/api/v1/tickets/${acmeTicket}/change-contract`,
    { contract: 'device-vendor', reason: 'r' },
    vendorWrite,
  ],
  ['POST', '/api/v1/tickets/{id}/change-queue', () => `/api/v1/tickets/${acmeTicket}/change-queue`, { queue: 'matrix-q', reason: 'r' }, vendorWrite],
  ['POST', '/api/v1/tickets/{id}/change-device', () => `/api/v1/tickets/${acmeTicket}/change-device`, { device: null, reason: 'r' }, vendorWrite],
  ['POST', '/api/v1/tickets/{id}/change-customer', () => `/api/v1/tickets/${acmeTicket}/change-customer`, { customer: 'acme', reason: 'r' }, vendorWrite],
  ['GET', '/api/v1/tickets/{id}/audit', () => `/api/v1/tickets/${acmeTicket}/audit`, undefined, vendorWrite],
  ['GET', '/api/v1/tickets/{id}/report', () => `/api/v1/tickets/${acmeTicket}/report?lang=en`, undefined, acmeOwned({ tech: 404 })],
  ['GET', '/api/v1/tickets/{id}/report.pdf', () => `/api/v1/tickets/${globexTicket}/report.pdf`, undefined, globexOwned()],
  [
    'POST',
    '/api/v1/tickets/{id}/assign',
    () => `/api/v1/tickets/${globexTicket}/assign`,
    { assignee: 'someone-else' },
    { admin: 'ok', dispatcher: 'ok', tech: 403, otherTech: 403, acme: 403, globex: 403 },
  ],
  ['GET', '/api/v1/contracts', () => '/api/v1/contracts', undefined, staff(403)],
  ['GET', '/api/v1/contracts/{id}', () => '/api/v1/contracts/device-vendor', undefined, staff(403)],
  ['POST', '/api/v1/contracts/validate', () => '/api/v1/contracts/validate', { id: 'x' }, vendorWrite],
  ['GET', '/api/v1/impact-rules', () => '/api/v1/impact-rules', undefined, staff(403)],
  ['POST', '/api/v1/impact-rules/validate', () => '/api/v1/impact-rules/validate', { rules: [{ id: 'all', level: 'low' }] }, vendorWrite],
  ['GET', '/api/v1/reports/compliance', () => '/api/v1/reports/compliance?since=2026-01', undefined, staff('ok', { tech: 403, otherTech: 403 })],
  ['GET', '/api/v1/reports/compliance.csv', () => '/api/v1/reports/compliance.csv?since=2026-01', undefined, staff('ok', { tech: 403, otherTech: 403 })],
  ['GET', '/api/v1/reports/statement', () => '/api/v1/reports/statement?customer=acme&month=2026-01', undefined, acmeOwned({ tech: 403, otherTech: 403 })],
  ['GET', '/api/v1/reports/statement', () => '/api/v1/reports/statement?customer=globex&month=2026-01', undefined, globexOwned({ tech: 403, otherTech: 403 })],
  ['GET', '/api/v1/agent-credentials', () => '/api/v1/agent-credentials', undefined, adminOnly],
  ['POST', '/api/v1/agent-credentials', () => '/api/v1/agent-credentials', { tenant: 'acme', agentId: 'm1' }, adminOnly],
  ['DELETE', '/api/v1/agent-credentials/{tenant}/{agentId}', () => '/api/v1/agent-credentials/acme/m1', undefined, adminOnly],
  ['POST', '/api/v1/events/token', () => '/api/v1/events/token', undefined, all('ok')],
  // Contracts and impact rules: read by staff, changed by the admin only, history for admin and dispatcher.
  ['POST', '/api/v1/contracts', () => '/api/v1/contracts', MATRIX_CONTRACT, adminOnly],
  ['PUT', '/api/v1/contracts/{id}', () => '/api/v1/contracts/matrix-c', { ...MATRIX_CONTRACT, name: 'Matrix 2' }, adminOnly, { 'if-match': '"1"' }],
  ['GET', '/api/v1/contracts/{id}/versions', () => '/api/v1/contracts/matrix-c/versions', undefined, staff(403)],
  ['GET', '/api/v1/contracts/{id}/versions/{version}', () => '/api/v1/contracts/matrix-c/versions/1', undefined, staff(403)],
  ['DELETE', '/api/v1/contracts/{id}', () => '/api/v1/contracts/matrix-c', undefined, adminOnly, { 'if-match': '"2"' }],
  ['PUT', '/api/v1/impact-rules', () => '/api/v1/impact-rules', { rules: DEFAULT_IMPACT_RULES }, adminOnly, { 'if-match': '"0"' }],
  ['GET', '/api/v1/impact-rules/versions', () => '/api/v1/impact-rules/versions', undefined, staff(403)],
  ['GET', '/api/v1/impact-rules/versions/{version}', () => '/api/v1/impact-rules/versions/0', undefined, staff(403)],
  ['DELETE', '/api/v1/impact-rules', () => '/api/v1/impact-rules', undefined, adminOnly, { 'if-match': '"1"' }],
  ['GET', '/api/v1/catalogue/changes', () => '/api/v1/catalogue/changes', undefined, vendorWrite],
  // API tokens: admin only.
  ['GET', '/api/v1/api-tokens', () => '/api/v1/api-tokens', undefined, adminOnly],
  ['POST', '/api/v1/api-tokens', () => '/api/v1/api-tokens', { role: 'technician', name: 'matrix-made' }, adminOnly],
  ['DELETE', '/api/v1/api-tokens/{id}', () => `/api/v1/api-tokens/${spareTokenId}`, undefined, adminOnly],
  // Notifications: the delivery log names recipients of every customer; admin and dispatcher only (no endpoint configured here: 400).
  ['GET', '/api/v1/notifications/deliveries', () => '/api/v1/notifications/deliveries?status=pending,delivered,failed', undefined, vendorWrite],
  ['POST', '/api/v1/notifications/test', () => '/api/v1/notifications/test', { webhook: 'not-configured' }, vendorWrite],
  // The intake queue holds mail from anyone: admin and dispatcher only (no such item here: 404 for them).
  ['GET', '/api/v1/intake', () => '/api/v1/intake', undefined, vendorWrite],
  ['GET', '/api/v1/intake/{id}', () => '/api/v1/intake/I-none', undefined, { ...vendorWrite, admin: 404, dispatcher: 404 }],
  ['POST', '/api/v1/intake/{id}/assign', () => '/api/v1/intake/I-none/assign', { customer: 'acme' }, { ...vendorWrite, admin: 404, dispatcher: 404 }],
  ['POST', '/api/v1/intake/{id}/attach', () => '/api/v1/intake/I-none/attach', { ticket: 'T000001' }, { ...vendorWrite, admin: 404, dispatcher: 404 }],
  ['POST', '/api/v1/intake/{id}/dismiss', () => '/api/v1/intake/I-none/dismiss', { reason: 'spam' }, { ...vendorWrite, admin: 404, dispatcher: 404 }],
];

/**
 * Technicians and customers before the vendor roles, admin last: a dispatcher's escalation
 * unassigns a ticket and the admin's DELETE removes what the others must be refused.
 */
const ORDER: TokenName[] = ['tech', 'otherTech', 'acme', 'globex', 'dispatcher', 'admin'];
const FOREIGN: Partial<Record<TokenName, RegExp>> = { acme: /globex/i, globex: /acme/i };

beforeAll(async () => {
  kit = await makeApiKit();
  ({ acmeTicket, globexTicket } = await kit.seed());
  spareTokenId = (await createApiToken(kit.app.server.repo, { role: 'technician', name: 'spare', customerId: null }, new Date(kit.clock.now()))).id;
  const res = await kit.call('POST', `/api/v1/tickets/${acmeTicket}/assign`, kit.tokens.dispatcher, { assignee: 'ola' });
  expect(res.statusCode).toBe(200);
});
afterAll(async () => {
  await kit.close();
});

describe('auth matrix (role × route × tenant)', () => {
  it('covers every route of the OpenAPI document', async () => {
    const doc = kit.json<{ paths: Record<string, Record<string, unknown>> }>(await kit.app.server.http.inject({ method: 'GET', url: '/docs/json' }));
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    // The event stream itself is covered in liveUpdates.test.ts (it never ends, so not with inject).
    const covered = new Set([...ROWS.map(([m, route]) => `${m} ${route}`), 'GET /api/v1/events']);
    expect(documented.filter((r) => !covered.has(r))).toEqual([]);
  });

  for (const [method, route, url, body, cells, headers] of ROWS) {
    it(`${method} ${route} (${
      url
        .toString()
        .match(/`([^`]*)`|'([^']*)'/)
        ?.slice(1)
        .find(Boolean) ?? ''
    })`, async () => {
      // Keep the acme ticket with "ola" (an escalation unassigns it; a closed ticket stays as it was).
      await kit.call('POST', `/api/v1/tickets/${acmeTicket}/assign`, kit.tokens.dispatcher, { assignee: 'ola' });
      for (const who of ORDER) {
        const res = await kit.call(method, url(), kit.tokens[who], body, headers);
        const where = `${who} ${method} ${url()}: ${res.statusCode} ${res.body.slice(0, 200)}`;
        const want = cells[who];
        if (want === 'ok') {
          expect([200, 201, 204, 400, 409], where).toContain(res.statusCode);
          if (res.statusCode === 400) expect(kit.json(res), where).toMatchObject({ code: 'VALIDATION_FAILED' });
          const foreign = FOREIGN[who];
          if (foreign) expect(res.body, `${where}: leaks another customer's data`).not.toMatch(foreign);
        } else {
          expect(res.statusCode, where).toBe(want);
          expect(kit.json(res), where).toMatchObject({ statusCode: want, code: want === 403 ? 'FORBIDDEN' : 'NOT_FOUND' });
        }
      }
    });
  }

  it('rejects requests without a token or with a wrong one (401, same body shape) on every route', async () => {
    for (const [method, , url, body] of ROWS) {
      // One wrong token per route: past the failure window before the limiter (20 per minute) trips.
      kit.clock.advance(4_000);
      for (const token of [null, 'fdk_not-a-real-token-000000000000000000', 'Basic abc']) {
        const res = await kit.call(method, url(), token === 'Basic abc' ? null : token, body, token === 'Basic abc' ? { authorization: 'Basic abc' } : {});
        expect(res.statusCode, `${method} ${url()} with ${String(token)}`).toBe(401);
        expect(kit.json(res)).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
      }
    }
  });

  it('a customer token lists only its own customer in every list', async () => {
    const everyTicket = '/api/v1/tickets?status=new,acknowledged,inProgress,waitingForCustomer,resolved,closed&closedMonth=2026-01';
    for (const url of ['/api/v1/customers', '/api/v1/sites', '/api/v1/agents', '/api/v1/devices', everyTicket, '/api/v1/reports/compliance?since=2026-01']) {
      for (const who of ['acme', 'globex'] as const) {
        const page = kit.json<{ items: Array<{ id?: string; customerId?: string; customer?: { id: string } }>; total: number }>(
          await kit.call('GET', url, kit.tokens[who]),
        );
        expect(page.total, `${who} ${url}`).toBeGreaterThan(0);
        for (const item of page.items) expect(item.customerId ?? item.customer?.id ?? item.id, `${who} ${url}`).toBe(who);
      }
    }
  });

  it('hides internal notes from customers but not from staff', async () => {
    const note = await kit.call('POST', `/api/v1/tickets/${globexTicket}/comments`, kit.tokens.dispatcher, { text: 'internal: customer is difficult' });
    expect(note.statusCode, note.body).toBe(200);
    const pub = await kit.call('POST', `/api/v1/tickets/${globexTicket}/comments`, kit.tokens.dispatcher, { text: 'we are on it', public: true });
    expect(pub.statusCode).toBe(200);
    const asCustomer = await kit.call('GET', `/api/v1/tickets/${globexTicket}`, kit.tokens.globex);
    expect(asCustomer.body).toContain('we are on it');
    expect(asCustomer.body).not.toContain('customer is difficult');
    const asStaff = await kit.call('GET', `/api/v1/tickets/${globexTicket}`, kit.tokens.dispatcher);
    expect(asStaff.body).toContain('customer is difficult');
  });

  it('lets a technician take a ticket from the queue and give it back, not hand it to others', async () => {
    expect((await kit.call('POST', `/api/v1/tickets/${globexTicket}/assign`, kit.tokens.dispatcher, { assignee: null })).statusCode).toBe(200);
    const handOver = await kit.call('POST', `/api/v1/tickets/${globexTicket}/assign`, kit.tokens.tech, { assignee: 'ola' });
    expect(handOver.statusCode).toBe(403);
    const take = await kit.call('POST', `/api/v1/tickets/${globexTicket}/assign`, kit.tokens.tech, { assignee: 'tomek' });
    expect(take.statusCode, take.body).toBe(200);
    expect((await kit.call('GET', `/api/v1/tickets/${globexTicket}`, kit.tokens.otherTech)).statusCode).toBe(404);
    const mine = kit.json<{ items: Array<{ id: string }> }>(await kit.call('GET', '/api/v1/tickets?assignee=me', kit.tokens.tech));
    expect(mine.items.map((t) => t.id)).toEqual([globexTicket]);
    const giveBack = await kit.call('POST', `/api/v1/tickets/${globexTicket}/assign`, kit.tokens.tech, { assignee: null });
    expect(giveBack.statusCode).toBe(200);
    expect((await kit.call('GET', `/api/v1/tickets/${globexTicket}`, kit.tokens.otherTech)).statusCode).toBe(200);
  });
});
