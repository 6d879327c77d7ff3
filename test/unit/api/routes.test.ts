/** Every API route through fastify inject over the real server composition (startServerApp). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApiKit, type ApiKit } from './apiTestKit.js';
import { fault, raisedMsg, stateMsg } from '../server/wireFixtures.js';

interface Page<T = Record<string, unknown>> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
  nextOffset: number | null;
}

let kit: ApiKit;
let acmeTicket: string;
let globexTicket: string;

beforeAll(async () => {
  kit = await makeApiKit();
  ({ acmeTicket, globexTicket } = await kit.seed());
});
afterAll(async () => {
  await kit.close();
});

const get = async <T = Record<string, unknown>>(url: string, token?: string) => {
  const res = await kit.call('GET', url, token);
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  return kit.json<T>(res);
};

describe('fleet routes', () => {
  it('lists customers, sites and agents with pagination', async () => {
    const customers = await get<Page>('/api/v1/customers');
    expect(customers.items.map((c) => c.id)).toEqual(['acme', 'globex']);
    expect(customers).toMatchObject({ total: 2, limit: 50, offset: 0, nextOffset: null });
    expect(await get('/api/v1/customers/acme')).toMatchObject({ id: 'acme', name: 'ACME sp. z o.o.', contract: 'device-vendor', configured: true });
    const sites = await get<Page>('/api/v1/sites?customer=acme');
    expect(sites.items.map((s) => s.id)).toEqual(['acme-hq', 'acme-wro']);
    const agents = await get<Page>('/api/v1/agents?state=online');
    expect(agents.items.map((a) => a.key)).toEqual(['acme/a1', 'globex/g1']);
    expect((await get<Page>('/api/v1/agents?state=offline')).total).toBe(0);
  });

  it('lists devices with filters and pages, and shows one device with its agent', async () => {
    const all = await get<Page>('/api/v1/devices');
    expect(all.items.map((d) => d.key)).toEqual(['acme/sn:sn-a1', 'acme/sn:sn-a2', 'globex/sn:sn-g1']);
    const page1 = await get<Page>('/api/v1/devices?limit=2');
    expect(page1).toMatchObject({ total: 3, limit: 2, offset: 0, nextOffset: 2 });
    const page2 = await get<Page>(`/api/v1/devices?limit=2&offset=${page1.nextOffset}`);
    expect(page2.items.map((d) => d.key)).toEqual(['globex/sn:sn-g1']);
    expect(page2.nextOffset).toBeNull();
    expect((await get<Page>('/api/v1/devices?fault=jam')).items.map((d) => d.key)).toEqual(['acme/sn:sn-a1']);
    expect((await get<Page>('/api/v1/devices?q=brother')).items.map((d) => d.key)).toEqual(['acme/sn:sn-a2']);
    expect((await get<Page>('/api/v1/devices?customer=globex&status=idle')).items.map((d) => d.key)).toEqual(['globex/sn:sn-g1']);
    const one = await get<{ device: Record<string, unknown>; agent: Record<string, unknown> }>(`/api/v1/devices/${encodeURIComponent('acme/sn:sn-a1')}`);
    expect(one.device).toMatchObject({
      key: 'acme/sn:sn-a1',
      effectiveStatus: 'idle',
      identity: { serial: 'SN-A1' },
      faults: [{ code: 'jam' }],
      supplies: [{ kind: 'toner', levelPercent: 40 }],
      counters: { total: 1000 },
    });
    expect(one.agent).toMatchObject({ key: 'acme/a1', state: 'online' });
  });

  it('answers 404 with the error body for unknown devices and customers', async () => {
    for (const url of [`/api/v1/devices/${encodeURIComponent('acme/sn:nope')}`, '/api/v1/customers/nope', '/api/v1/no-such-route']) {
      const res = await kit.call('GET', url);
      expect(res.statusCode).toBe(404);
      expect(kit.json(res)).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    }
  });
});

describe('ticket routes', () => {
  it('lists tickets in queue order with filters and shows one with evidence and history', async () => {
    const list = await get<Page<{ id: string; deadlineAt: number }>>('/api/v1/tickets');
    expect(list.total).toBe(2);
    expect(list.items[0]!.deadlineAt).toBeLessThanOrEqual(list.items[1]!.deadlineAt);
    expect((await get<Page<{ id: string }>>('/api/v1/tickets?customer=acme')).items.map((t) => t.id)).toEqual([acmeTicket]);
    expect((await get<Page<{ id: string }>>(`/api/v1/tickets?device=${encodeURIComponent('globex/sn:sn-g1')}`)).items.map((t) => t.id)).toEqual([globexTicket]);
    expect((await get<Page>('/api/v1/tickets?status=resolved')).total).toBe(0);
    expect((await get<Page>('/api/v1/tickets?breached=true')).total).toBe(0);
    expect((await get<Page>('/api/v1/tickets?assignee=none&impact=critical,high')).total).toBeGreaterThan(0);
    const t = await get(`/api/v1/tickets/${acmeTicket}`);
    expect(t).toMatchObject({
      id: acmeTicket,
      status: 'new',
      faults: [{ code: 'jam', label: { en: 'Paper jam', pl: 'Zacięcie papieru' }, evidence: { counters: { total: 1000 } } }],
      history: [{ what: 'opened' }],
    });
    // Each fault names where it is on the device.
    expect(await get(`/api/v1/tickets/${globexTicket}`)).toMatchObject({
      faults: [
        {
          code: 'toner.empty',
          subunit: { group: 'markerSupplies', index: 1, name: 'Black Cartridge' },
          label: { en: 'Toner empty — Black Cartridge', pl: 'Brak tonera — Black Cartridge' },
        },
      ],
    });
    // The queue row carries the warning instant of the clock behind its deadline (here: reaction).
    const row = (await get<Page<{ id: string; deadlineAt: number; warnAt: number | null; warned: boolean }>>('/api/v1/tickets?customer=acme')).items[0]!;
    const clock = (t as { sla: { reaction: { deadlineAt: number; warnAt: number } } }).sla.reaction;
    expect([row.deadlineAt, row.warnAt, row.warned]).toEqual([clock.deadlineAt, clock.warnAt, false]);
    expect(row.warnAt).toBeLessThan(row.deadlineAt);
  });

  it('runs the lifecycle: acknowledge, assign, comment, time entry, wait, reply, escalate, resolve, close', async () => {
    const url = `/api/v1/tickets/${globexTicket}`;
    const post = async (path: string, body: unknown, status = 200) => {
      const res = await kit.call('POST', `${url}/${path}`, kit.tokens.dispatcher, body);
      expect(res.statusCode, `${path}: ${res.body}`).toBe(status);
      return kit.json<Record<string, unknown>>(res);
    };
    expect(await post('acknowledge', { note: 'on it' })).toMatchObject({ status: 'acknowledged', firstResponseAt: expect.any(Number) as unknown });
    expect(await post('assign', { assignee: 'tomek' })).toMatchObject({ assignee: 'tomek' });
    const commented = await post('comments', { text: 'internal only' });
    expect(commented.comments).toEqual(expect.arrayContaining([expect.objectContaining({ text: 'internal only', public: false, by: 'disp' })]));
    expect(await post('time-entries', { channel: 'remote', minutes: 20, note: 'remote session' }, 201)).toMatchObject({
      timeEntries: [{ minutes: 20, channel: 'remote', by: 'disp' }],
    });
    const entries = await get<Page>(`${url}/time-entries`);
    expect(entries.total).toBe(1);
    expect(await post('wait-for-customer', { question: 'Is the toner replaced?' })).toMatchObject({ status: 'waitingForCustomer' });
    expect(await post('contact-attempts', { channel: 'phone', note: 'no answer' })).toMatchObject({ waiting: { attempts: [expect.any(Number) as unknown] } });
    expect(await post('customer-replied', { text: 'yes' })).toMatchObject({ status: 'inProgress' });
    expect(await post('escalate', { reason: 'needs L2' })).toMatchObject({ tier: 'L2', assignee: null });
    expect(await post('resolve', { solution: 'toner replaced' })).toMatchObject({ status: 'resolved' });
    expect(await post('reopen', { reason: 'came back' })).toMatchObject({ status: 'inProgress' });
    expect(await post('resolve', { solution: 'toner replaced again', confirmedByCustomer: true })).toMatchObject({
      status: 'resolved',
      resolution: 'customerConfirmed',
    });
    expect(await post('close', {})).toMatchObject({ status: 'closed' });
    // Closed tickets are archived: still readable, no longer changeable (409).
    expect(await get(url)).toMatchObject({ id: globexTicket, status: 'closed' });
    const again = await kit.call('POST', `${url}/comments`, kit.tokens.dispatcher, { text: 'late' });
    expect(again.statusCode).toBe(409);
    const closed = await get<Page<{ id: string }>>(`/api/v1/tickets?status=closed&closedMonth=2026-01`);
    expect(closed.items.map((t) => t.id)).toEqual([globexTicket]);
    const statement = await get<{ entries: unknown[] }>('/api/v1/reports/statement?customer=globex&month=2026-01');
    expect(statement.entries).toHaveLength(1);
  });

  it('answers 409 with the engine reason for an illegal transition and 404 for an unknown ticket', async () => {
    const res = await kit.call('POST', `/api/v1/tickets/${acmeTicket}/close`, kit.tokens.dispatcher, {});
    expect(res.statusCode).toBe(409);
    expect(kit.json(res)).toMatchObject({ statusCode: 409, code: 'CONFLICT', message: expect.stringContaining('cannot close') as unknown });
    const missing = await kit.call('POST', '/api/v1/tickets/T999999/acknowledge', kit.tokens.dispatcher, {});
    expect(missing.statusCode).toBe(404);
    expect(kit.json(missing)).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('validation errors name the field', () => {
  const cases: Array<[string, 'GET' | 'POST', string, unknown, string]> = [
    ['limit too big', 'GET', '/api/v1/devices?limit=501', undefined, 'querystring.limit'],
    ['negative offset', 'GET', '/api/v1/tickets?offset=-1', undefined, 'querystring.offset'],
    ['unknown status', 'GET', '/api/v1/tickets?status=open', undefined, 'querystring.status[0]'],
    ['unknown filter', 'GET', '/api/v1/devices?colour=red', undefined, 'querystring.colour'],
    ['bad month', 'GET', '/api/v1/reports/compliance?since=2026-13', undefined, 'querystring.since'],
    ['minutes out of range', 'POST', '/api/v1/tickets/T000001/time-entries', { channel: 'remote', minutes: 0 }, 'body.minutes'],
    ['unknown work channel', 'POST', '/api/v1/tickets/T000001/time-entries', { channel: 'pigeon', minutes: 5 }, 'body.channel'],
    ['empty escalation reason', 'POST', '/api/v1/tickets/T000001/escalate', { reason: '  ' }, 'body.reason'],
    ['assignee of wrong type', 'POST', '/api/v1/tickets/T000001/assign', { assignee: 5 }, 'body.assignee'],
    ['bad agent id', 'POST', '/api/v1/agent-credentials', { tenant: 'acme', agentId: '../x' }, 'body.agentId'],
    [
      'rule table without catch-all',
      'POST',
      '/api/v1/impact-rules/validate',
      { rules: [{ id: 'jam', when: { faults: ['jam'] }, level: 'high' }] },
      'body.rules[0].when',
    ],
    [
      'contract level mapping',
      'POST',
      '/api/v1/contracts/validate',
      {
        id: 'x',
        name: 'X',
        calendar: { zone: 'Europe/Warsaw', holidays: 'PL', week: { mon: ['08:00-16:00'] } },
        levels: [{ id: 'a', label: 'A', reaction: '2h' }],
        impactToLevel: { critical: 'a', high: 'a', medium: 'a', low: 'zzz' },
        queues: { default: 'general' },
      },
      'body.impactToLevel.low',
    ],
  ];
  it.each(cases)('%s', async (_name, method, url, body, field) => {
    const res = await kit.call(method, url, kit.tokens.admin, body);
    expect(res.statusCode, res.body).toBe(400);
    const err = kit.json<{ field: string; code: string; message: string; statusCode: number }>(res);
    expect(err).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', field });
    expect(err.message).toContain(field);
  });

  it('rejects a body over 1 MiB with 413 and the same body shape', async () => {
    const res = await kit.call('POST', `/api/v1/tickets/${acmeTicket}/comments`, kit.tokens.admin, { text: 'x'.repeat(1024 * 1024 + 1) });
    expect(res.statusCode).toBe(413);
    expect(kit.json(res)).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE', field: 'body' });
  });

  it('rejects malformed JSON with the same body shape', async () => {
    const res = await kit.call('POST', `/api/v1/tickets/${acmeTicket}/comments`, kit.tokens.admin, '{"text": ', { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(400);
    expect(kit.json(res)).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', field: 'body' });
  });
});

describe('contracts, impact rules, reports, credentials, docs', () => {
  it('reads contracts and validates a proposed one', async () => {
    const list = await get<Page<{ id: string; origin: string }>>('/api/v1/contracts?limit=100');
    expect(list.items.map((c) => c.id)).toContain('device-vendor');
    expect(list.items.every((c) => c.origin === 'preset')).toBe(true);
    expect(await get('/api/v1/contracts/device-vendor')).toMatchObject({
      id: 'device-vendor',
      levels: [{ id: 'critical' }, { id: 'high' }, { id: 'medium' }, { id: 'low' }],
    });
    expect((await kit.call('GET', '/api/v1/contracts/nope')).statusCode).toBe(404);
    const spec = {
      id: 'custom-1',
      name: 'Custom',
      calendar: { zone: 'Europe/Warsaw', holidays: 'PL', week: { mon: ['08:00-16:00'] } },
      levels: [{ id: 'a', label: 'A', reaction: '2h' }],
      impactToLevel: { critical: 'a', high: 'a', medium: 'a', low: 'a' },
      queues: { default: 'general' },
    };
    const res = await kit.call('POST', '/api/v1/contracts/validate', kit.tokens.admin, spec);
    expect(res.statusCode, res.body).toBe(200);
    expect(kit.json(res)).toMatchObject({ valid: true, contract: { id: 'custom-1', origin: 'configured' } });
  });

  it('reads the impact table (paged) and validates a proposed one', async () => {
    const rules = await get<Page<{ id: string }> & { contractScales: object }>('/api/v1/impact-rules?limit=3&offset=1');
    expect(rules.items.map((r) => r.id)).toEqual(['hardware-stop', 'stop-single-device', 'stop-critical-device']);
    expect(rules.total).toBeGreaterThan(4);
    const ok = await kit.call('POST', '/api/v1/impact-rules/validate', kit.tokens.admin, {
      rules: [
        { id: 'jam', when: { faults: ['jam'] }, level: 'high' },
        { id: 'rest', level: 'low' },
      ],
    });
    expect(kit.json(ok)).toEqual({ valid: true, rules: 2, catchAll: 'rest' });
  });

  it('reports compliance per customer and month', async () => {
    const rows = await get<Page<{ customerId: string; month: string }>>('/api/v1/reports/compliance?since=2026-01');
    expect(rows.items.map((r) => `${r.customerId}/${r.month}`).sort()).toEqual(['acme/2026-01', 'globex/2026-01']);
    const own = await kit.call('GET', '/api/v1/reports/statement?month=2026-01', kit.tokens.acme);
    expect(kit.json(own)).toMatchObject({ customerId: 'acme', month: '2026-01', ticketsOpened: 1 });
    const missing = await kit.call('GET', '/api/v1/reports/statement?month=2026-01');
    expect(kit.json(missing)).toMatchObject({ statusCode: 400, field: 'querystring.customer' });
  });

  it('limits compliance to a month range and exports it as CSV (every row; customers get their own)', async () => {
    const none = await get<Page<unknown>>('/api/v1/reports/compliance?since=2025-11&until=2025-12');
    expect(none.total).toBe(0);
    const rows = await get<Page<{ customerId: string; breached: number; breachedByImpact: Record<string, number> }>>(
      '/api/v1/reports/compliance?since=2026-01&until=2026-01',
    );
    expect(rows.total).toBe(2);
    for (const r of rows.items) expect(Object.values(r.breachedByImpact).reduce((a, b) => a + b, 0)).toBe(r.breached);
    const csv = await kit.call('GET', '/api/v1/reports/compliance.csv?since=2026-01');
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe('attachment; filename="sla-compliance-2026-01.csv"');
    const lines = csv.body
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]!.split(',').slice(0, 4)).toEqual(['customerId', 'customerName', 'contractId', 'month']);
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 4).join(','))).toEqual([
      'acme,ACME sp. z o.o.,device-vendor,2026-01',
      'globex,Globex S.A.,device-vendor,2026-01',
    ]);
    const pl = await kit.call('GET', '/api/v1/reports/compliance.csv?since=2026-01&dialect=pl', kit.tokens.globex);
    const plLines = pl.body
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(plLines).toHaveLength(2);
    expect(plLines[1]!.split(';').slice(0, 2)).toEqual(['globex', 'Globex S.A.']);
    const bad = await kit.call('GET', '/api/v1/reports/compliance.csv?dialect=de');
    expect(kit.json(bad)).toMatchObject({ statusCode: 400, field: 'querystring.dialect' });
  });

  it('issues, lists and revokes agent credentials (the password only in the creation response)', async () => {
    const created = await kit.call('POST', '/api/v1/agent-credentials', kit.tokens.admin, { tenant: 'acme', agentId: 'a9' });
    expect(created.statusCode).toBe(201);
    const { username, password } = kit.json<{ username: string; password: string }>(created);
    expect(username).toBe('acme/a9');
    expect(password.length).toBeGreaterThanOrEqual(40);
    const list = await get<Page<{ username: string }>>('/api/v1/agent-credentials');
    expect(list.items.map((c) => c.username)).toEqual(['acme/a9']);
    expect(JSON.stringify(list)).not.toContain(password);
    expect((await kit.call('DELETE', '/api/v1/agent-credentials/acme/a9')).statusCode).toBe(204);
    expect((await kit.call('DELETE', '/api/v1/agent-credentials/acme/a9')).statusCode).toBe(404);
    expect((await get<Page>('/api/v1/agent-credentials')).total).toBe(0);
  });

  it('serves the OpenAPI document generated from the route schemas and the UI at /docs', async () => {
    const doc = kit.json<{
      paths: Record<string, Record<string, { parameters?: Array<{ name: string }>; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    }>(await kit.app.server.http.inject({ method: 'GET', url: '/docs/json' }));
    expect(doc.paths['/api/v1/tickets/{id}/close']!.post!.responses).toMatchObject({ 200: {}, 400: {}, 401: {}, 403: {}, 404: {}, 409: {} });
    expect(JSON.stringify(doc.paths['/api/v1/tickets/{id}/close']!.post!.responses['409'])).toContain('#/components/schemas/Error');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/devices',
        '/api/v1/tickets',
        '/api/v1/tickets/{id}/acknowledge',
        '/api/v1/events',
        '/api/v1/reports/compliance',
        '/api/v1/agent-credentials',
      ]),
    );
    expect(doc.paths['/api/v1/tickets']!.get!.parameters!.map((p) => p.name)).toEqual(
      expect.arrayContaining(['limit', 'offset', 'status', 'breached', 'assignee']),
    );
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Device', 'TicketSummary']));
    const ui = await kit.app.server.http.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
  });

  it('sets security headers on API responses', async () => {
    const res = await kit.call('GET', '/api/v1/me');
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      'content-security-policy': expect.stringContaining("default-src 'none'") as unknown,
    });
  });

  it('pages through a larger device list without gaps or repeats', async () => {
    for (let i = 0; i < 12; i++) await kit.send(stateMsg('acme', 'a2', `q${i}`, { identity: { serial: `SN-Q${String(i).padStart(2, '0')}` } }));
    await kit.send(raisedMsg('acme', 'a2', 'q0', fault('door.open')));
    const seen: string[] = [];
    let offset: number | null = 0;
    let pages = 0;
    while (offset !== null && pages < 20) {
      const page: Page<{ key: string }> = await get(`/api/v1/devices?customer=acme&limit=5&offset=${offset}`);
      seen.push(...page.items.map((d) => d.key));
      offset = page.nextOffset;
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(14);
    expect(new Set(seen).size).toBe(14);
  });
});
