/**
 * Contracts and impact rules changed through the API: validation naming the field, If-Match and
 * 409 on conflicts, deletion rules, versions and the audit trail, and live application — a
 * change applies to the next ticket and classification while open tickets keep their terms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IMPACT_RULES } from '../../../server/impact/impactRules.js';
import { PRESET_SPECS } from '../../../server/sla/presets.js';
import type { Ticket } from '../../../server/tickets/ticket.js';
import { fault, raisedMsg } from '../server/wireFixtures.js';
import { makeApiKit, type ApiKit } from './apiTestKit.js';

let kit: ApiKit;
let acmeTicket = '';
let globexTicket = '';

const GOLD = {
  id: 'gold',
  name: 'Gold',
  calendar: {
    zone: 'Europe/Warsaw',
    holidays: 'PL',
    week: { mon: ['08:00-16:00'], tue: ['08:00-16:00'], wed: ['08:00-16:00'], thu: ['08:00-16:00'], fri: ['08:00-16:00'] },
  },
  levels: [{ id: 'p1', label: 'P1', reaction: '1h' }],
  impactToLevel: { critical: 'p1', high: 'p1', medium: 'p1', low: 'p1' },
  queues: { default: 'general' },
};

interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  field?: string;
  problems?: Array<{ path: string }>;
}

beforeAll(async () => {
  kit = await makeApiKit();
  ({ acmeTicket, globexTicket } = await kit.seed());
});
afterAll(async () => {
  await kit.close();
});

const ticket = async (id: string) => kit.json<Ticket>(await kit.call('GET', `/api/v1/tickets/${id}`));

describe('contracts through the API', () => {
  it('creates a contract (201, version 1, who and when) and refuses a second one with the same id (409)', async () => {
    const res = await kit.call('POST', '/api/v1/contracts', kit.tokens.admin, GOLD);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers.etag).toBe('"1"');
    expect(res.headers.location).toBe('/api/v1/contracts/gold');
    expect(kit.json(res)).toMatchObject({
      id: 'gold',
      origin: 'api',
      overrides: null,
      version: 1,
      termsVersion: 1,
      updatedBy: { name: 'admin' },
      updatedAt: '2026-01-05T08:00:30.000Z',
    });
    const again = await kit.call('POST', '/api/v1/contracts', kit.tokens.admin, GOLD);
    expect(again.statusCode).toBe(409);
    expect(kit.json<ErrorBody>(again).code).toBe('CONFLICT');
    expect(kit.json<ErrorBody>(again).message).toContain('already exists');
    // Presets and server.yaml ids are taken too: they are changed with PUT.
    expect((await kit.call('POST', '/api/v1/contracts', kit.tokens.admin, { ...GOLD, id: 'standard' })).statusCode).toBe(409);
    const list = kit.json<{ items: Array<{ id: string; origin: string }> }>(await kit.call('GET', '/api/v1/contracts?limit=100'));
    expect(list.items.find((c) => c.id === 'gold')?.origin).toBe('api');
  });

  it('validates like server.yaml, naming the field at fault', async () => {
    const cases: Array<[unknown, string]> = [
      [{ ...GOLD, id: 'Bad Id' }, 'body.id'],
      [{ ...GOLD, levels: [{ id: 'p1', label: 'P1', reaction: 'soon' }] }, 'body.levels[0].reaction'],
      [{ ...GOLD, impactToLevel: { ...GOLD.impactToLevel, low: 'p9' } }, 'body.impactToLevel.low'],
      [{ ...GOLD, calendar: { ...GOLD.calendar, zone: 'Mars/Olympus' } }, 'body.calendar.zone'],
      [{ ...GOLD, extra: 1 }, 'body.extra'],
    ];
    for (const [body, field] of cases) {
      const res = await kit.call('POST', '/api/v1/contracts', kit.tokens.admin, {
        ...(body as object),
        id: (body as { id: string }).id === 'gold' ? 'gold-2' : (body as { id: string }).id,
      });
      expect(res.statusCode, `${field}: ${res.body}`).toBe(400);
      const err = kit.json<ErrorBody>(res);
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.field, res.body).toBe(field);
    }
    expect((await kit.call('GET', '/api/v1/contracts/gold-2')).statusCode).toBe(404);
  });

  it('updates only with the current version in If-Match: 428 without, 409 when stale, 400 for another id', async () => {
    const changed = { ...GOLD, levels: [{ id: 'p1', label: 'P1', reaction: '2h' }] };
    const missing = await kit.call('PUT', '/api/v1/contracts/gold', kit.tokens.admin, changed);
    expect(missing.statusCode).toBe(428);
    expect(kit.json<ErrorBody>(missing)).toMatchObject({ code: 'PRECONDITION_REQUIRED', field: 'headers.if-match' });
    const garbage = await kit.call('PUT', '/api/v1/contracts/gold', kit.tokens.admin, changed, { 'if-match': 'yesterday' });
    expect(kit.json<ErrorBody>(garbage)).toMatchObject({ statusCode: 400, field: 'headers.if-match' });
    const stale = await kit.call('PUT', '/api/v1/contracts/gold', kit.tokens.admin, changed, { 'if-match': '"0"' });
    expect(stale.statusCode).toBe(409);
    expect(kit.json<ErrorBody>(stale).message).toContain('is at version 1');
    const otherId = await kit.call('PUT', '/api/v1/contracts/gold', kit.tokens.admin, { ...changed, id: 'silver' }, { 'if-match': '"1"' });
    expect(kit.json<ErrorBody>(otherId)).toMatchObject({ statusCode: 400, field: 'body.id' });
    const ok = await kit.call('PUT', '/api/v1/contracts/gold', kit.tokens.admin, changed, { 'if-match': '"1"' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.headers.etag).toBe('"2"');
    expect(kit.json(ok)).toMatchObject({ version: 2, levels: [{ id: 'p1', reaction: '2h' }] });
    // The same If-Match again is now stale: two concurrent edits cannot both win.
    expect((await kit.call('PUT', '/api/v1/contracts/gold', kit.tokens.admin, changed, { 'if-match': '"1"' })).statusCode).toBe(409);
    expect((await kit.call('PUT', '/api/v1/contracts/nope', kit.tokens.admin, { ...changed, id: 'nope' }, { 'if-match': '"0"' })).statusCode).toBe(404);
  });

  it('keeps every version with who changed what', async () => {
    const versions = kit.json<{ items: Array<{ version: number; action: string; changed: string[]; by: { name: string } }> }>(
      await kit.call('GET', '/api/v1/contracts/gold/versions'),
    );
    expect(versions.items.map((v) => [v.version, v.action])).toEqual([
      [2, 'update'],
      [1, 'create'],
    ]);
    expect(versions.items[0]!.changed).toEqual(['levels']);
    const v1 = kit.json<{ spec: { levels: Array<{ reaction: string }> } }>(await kit.call('GET', '/api/v1/contracts/gold/versions/1'));
    expect(v1.spec.levels[0]!.reaction).toBe('1h');
    expect((await kit.call('GET', '/api/v1/contracts/gold/versions/9')).statusCode).toBe(404);
    const v0 = kit.json<{ spec: { id: string } }>(await kit.call('GET', '/api/v1/contracts/standard/versions/0'));
    expect(v0.spec.id).toBe('standard');
  });

  it('applies a change to the NEXT ticket at once while an open ticket keeps the terms it was opened under', async () => {
    const before = await ticket(acmeTicket);
    expect(before.sla.contractId).toBe('device-vendor');
    expect(before.sla.contractVersion).toBeUndefined();
    const oldDeadline = before.sla.reaction.deadlineAt!;
    // The acme jam is "high" (another device on the site): 6 working hours under the preset.
    expect(before.impact).toBe('high');
    const spec = {
      ...PRESET_SPECS['device-vendor']!,
      levels: PRESET_SPECS['device-vendor']!.levels.map((l) => (l.id === 'high' ? { ...l, reaction: '1h' } : l)),
    };
    const put = await kit.call('PUT', '/api/v1/contracts/device-vendor', kit.tokens.admin, spec, { 'if-match': '"0"' });
    expect(put.statusCode, put.body).toBe(200);
    expect(kit.json(put)).toMatchObject({ origin: 'api', overrides: 'preset', version: 1 });

    kit.clock.advance(60_000);
    // A jam: a door would go to the customer first (customer-fixable) and open no ticket yet.
    await kit.send(raisedMsg('acme', 'a1', 'p2', fault('jam'), '2026-01-05T08:01:30Z', 7));
    const next = (await kit.app.tickets.workQueue()).find((t) => t.device?.id === 'acme/sn:sn-a2');
    expect(next, 'a ticket for the second acme device').toBeDefined();
    expect(next!.impact).toBe('high');
    expect(next!.sla).toMatchObject({ contractId: 'device-vendor', contractVersion: 1 });
    expect(next!.sla.reaction.deadlineAt! - next!.openedAt).toBe(3_600_000);
    expect((await ticket(acmeTicket)).sla.reaction.deadlineAt).toBe(oldDeadline);

    // Two hours on, the timers run: the new ticket has breached its 1 h; the old one still has its 6 h.
    kit.clock.advance(2 * 3_600_000);
    await kit.app.tickets.tick();
    expect((await ticket(next!.id)).sla.reaction.breached).toBe(true);
    const old = await ticket(acmeTicket);
    expect(old.sla.reaction.breached).toBe(false);
    expect(old.sla.reaction.deadlineAt).toBe(oldDeadline);
  });

  it('deletes: an override reverts to the preset; a preset cannot be deleted; a contract in use is refused naming its users', async () => {
    const revert = await kit.call('DELETE', '/api/v1/contracts/device-vendor', kit.tokens.admin, undefined, { 'if-match': '"1"' });
    expect(revert.statusCode, revert.body).toBe(200);
    expect(kit.json(revert)).toMatchObject({ id: 'device-vendor', retired: false, revertedTo: { origin: 'preset', version: 2, termsVersion: 0 } });
    const preset = await kit.call('DELETE', '/api/v1/contracts/device-vendor', kit.tokens.admin, undefined, { 'if-match': '"2"' });
    expect(preset.statusCode).toBe(409);
    expect(kit.json<ErrorBody>(preset).message).toContain('presets');

    // gold is used by an open ticket (moved to it) → 409 naming the ticket.
    const moved = await kit.app.tickets.act(acmeTicket, { type: 'changeContract', by: 'disp', contractId: 'gold', reason: 'contract renewed' });
    expect(moved.sla).toMatchObject({ contractId: 'gold', contractVersion: 2 });
    const inUse = await kit.call('DELETE', '/api/v1/contracts/gold', kit.tokens.admin, undefined, { 'if-match': '"2"' });
    expect(inUse.statusCode).toBe(409);
    expect(kit.json<ErrorBody>(inUse).message).toMatch(new RegExp(`still in use: open tickets ${acmeTicket}`));
    const back = await kit.app.tickets.act(acmeTicket, { type: 'changeContract', by: 'disp', contractId: 'device-vendor', reason: 'contract renewed' });
    // Back on the preset terms (the override was deleted): no API version recorded any more.
    expect(back.sla.contractId).toBe('device-vendor');
    expect(back.sla.contractVersion).toBeUndefined();
    const retired = await kit.call('DELETE', '/api/v1/contracts/gold', kit.tokens.admin, undefined, { 'if-match': '"2"' });
    expect(retired.statusCode, retired.body).toBe(200);
    expect(kit.json(retired)).toEqual({ id: 'gold', retired: true, revertedTo: null });
    expect((await kit.call('GET', '/api/v1/contracts/gold')).statusCode).toBe(404);
    // Its versions stay readable (tickets closed under them still name them).
    expect((await kit.call('GET', '/api/v1/contracts/gold/versions/2')).statusCode).toBe(200);
    // Retired: the id may be created again, as the next version.
    const reborn = await kit.call('POST', '/api/v1/contracts', kit.tokens.admin, GOLD);
    expect(kit.json(reborn)).toMatchObject({ version: 4, origin: 'api' });
  });

  it('a resolved ticket on a contract retired since still works under its recorded version', async () => {
    const bronze = { ...GOLD, id: 'bronze', name: 'Bronze', levels: [{ id: 'p1', label: 'P1', reaction: '3h' }] };
    expect((await kit.call('POST', '/api/v1/contracts', kit.tokens.admin, bronze)).statusCode).toBe(201);
    await kit.app.tickets.act(globexTicket, { type: 'changeContract', by: 'disp', contractId: 'bronze', reason: 'contract renewed' });
    const resolved = await kit.call('POST', `/api/v1/tickets/${globexTicket}/resolve`, kit.tokens.dispatcher, { solution: 'toner replaced' });
    expect(resolved.statusCode, resolved.body).toBe(200);
    // Resolved is not open: the contract may go.
    const retired = await kit.call('DELETE', '/api/v1/contracts/bronze', kit.tokens.admin, undefined, { 'if-match': '"1"' });
    expect(retired.statusCode, retired.body).toBe(200);
    const comment = await kit.call('POST', `/api/v1/tickets/${globexTicket}/comments`, kit.tokens.dispatcher, { text: 'customer confirmed by phone' });
    expect(comment.statusCode, comment.body).toBe(200);
    const reopened = await kit.call('POST', `/api/v1/tickets/${globexTicket}/reopen`, kit.tokens.dispatcher, { reason: 'toner again' });
    expect(reopened.statusCode, reopened.body).toBe(200);
    expect(kit.json<Ticket>(reopened).sla).toMatchObject({ contractId: 'bronze', contractVersion: 1 });
    await kit.app.tickets.tick();
    expect((await ticket(globexTicket)).status).toBe('inProgress');
  });
});

describe('the impact rule table through the API', () => {
  // Doors are not left to the customer in this table (`customerFixable: []`): they open their ticket at once.
  const withDoorLow = { rules: [{ id: 'door-low', when: { faults: ['door.open'] }, level: 'low' }, ...DEFAULT_IMPACT_RULES], customerFixable: [] };

  it('validates every rule: unknown fault codes, unknown contracts, a catch-all that is not last', async () => {
    const cases: Array<[unknown, string]> = [
      [
        {
          rules: [
            { id: 'x', when: { faults: ['toner.gone'] }, level: 'low' },
            { id: 'rest', level: 'low' },
          ],
        },
        'body.rules[0].when.faults[0]',
      ],
      [
        {
          rules: [
            { id: 'x', when: { contracts: ['no-such-contract'] }, level: 'low' },
            { id: 'rest', level: 'low' },
          ],
        },
        'body.rules[0].when.contracts[0]',
      ],
      [
        {
          rules: [
            { id: 'rest', level: 'low' },
            { id: 'x', when: { faults: ['jam'] }, level: 'high' },
          ],
        },
        'body.rules[1].when',
      ],
      [
        {
          rules: [
            { id: 'x', when: { faults: ['jam'] }, level: 'severe' },
            { id: 'rest', level: 'low' },
          ],
        },
        'body.rules[0].level',
      ],
      [
        { rules: [{ id: 'rest', level: 'low' }], contractScales: { 'no-such-contract': { critical: 'a', high: 'b', medium: 'c', low: 'd' } } },
        'body.contractScales.no-such-contract',
      ],
    ];
    for (const [body, field] of cases) {
      const res = await kit.call('PUT', '/api/v1/impact-rules', kit.tokens.admin, body, { 'if-match': '"0"' });
      expect(res.statusCode, `${field}: ${res.body}`).toBe(400);
      expect(kit.json<ErrorBody>(res).field, res.body).toBe(field);
      // The validate route runs the same checks.
      const check = await kit.call('POST', '/api/v1/impact-rules/validate', kit.tokens.admin, body);
      expect(kit.json<ErrorBody>(check).field).toBe(field);
    }
    expect(kit.json<{ version: number }>(await kit.call('GET', '/api/v1/impact-rules')).version).toBe(0);
  });

  it('applies a new table to the next classification; the ticket names the rule and table version', async () => {
    const missing = await kit.call('PUT', '/api/v1/impact-rules', kit.tokens.admin, withDoorLow);
    expect(missing.statusCode).toBe(428);
    const res = await kit.call('PUT', '/api/v1/impact-rules', kit.tokens.admin, withDoorLow, { 'if-match': '"0"' });
    expect(res.statusCode, res.body).toBe(200);
    const table = kit.json<{ version: number; origin: string; updatedBy: { name: string }; rules: Array<{ id: string }> }>(res);
    expect(table).toMatchObject({ version: 1, origin: 'api', updatedBy: { name: 'admin' }, customerFixable: [] });
    expect(table.rules.map((r) => r.id)).toEqual(withDoorLow.rules.map((r) => r.id));
    expect((await kit.call('PUT', '/api/v1/impact-rules', kit.tokens.admin, withDoorLow, { 'if-match': '"0"' })).statusCode).toBe(409);
    const read = await kit.call('GET', '/api/v1/impact-rules?limit=2');
    expect(read.headers.etag).toBe('"1"');
    expect(kit.json(read)).toMatchObject({ version: 1, origin: 'api', items: [{ id: 'door-low' }, { id: 'device-down' }] });

    await kit.send(raisedMsg('globex', 'g1', 'p1', fault('door.open'), '2026-01-05T10:05:00Z', 8));
    const t = (await kit.app.tickets.workQueue()).find((x) => x.customer.id === 'globex' && x.faults.some((f) => f.code === 'door.open'));
    expect(t?.impact).toBe('low');
    expect(t?.impactRule).toMatch(/^rule door-low \(impact rules v1\) → low/);
  });

  it('reverts to server.yaml, keeps every version and records the changes in the audit trail', async () => {
    const revert = await kit.call('DELETE', '/api/v1/impact-rules', kit.tokens.admin, undefined, { 'if-match': '"1"' });
    expect(revert.statusCode, revert.body).toBe(200);
    const table = kit.json<{ version: number; origin: string; rules: Array<{ id: string }> }>(revert);
    expect(table).toMatchObject({ version: 2, origin: 'configured', customerFixable: ['door.open', 'paper.empty', 'input.trayMissing', 'output.full'] });
    expect(table.rules.map((r) => r.id)).toEqual(DEFAULT_IMPACT_RULES.map((r) => r.id));
    expect((await kit.call('DELETE', '/api/v1/impact-rules', kit.tokens.admin, undefined, { 'if-match': '"2"' })).statusCode).toBe(409);
    const versions = kit.json<{ items: Array<{ version: number; action: string; rules: number }> }>(await kit.call('GET', '/api/v1/impact-rules/versions'));
    expect(versions.items).toMatchObject([
      { version: 2, action: 'revert', rules: DEFAULT_IMPACT_RULES.length },
      { version: 1, action: 'update', rules: DEFAULT_IMPACT_RULES.length + 1 },
    ]);
    const v1 = kit.json<{ rules: Array<{ id: string }> }>(await kit.call('GET', '/api/v1/impact-rules/versions/1'));
    expect(v1.rules[0]!.id).toBe('door-low');

    const changes = kit.json<{ items: Array<{ kind: string; id: string; version: number; action: string; by: { name: string } }>; total: number }>(
      await kit.call('GET', '/api/v1/catalogue/changes?limit=500', kit.tokens.dispatcher),
    );
    expect(changes.items[0]).toMatchObject({ kind: 'impactRules', version: 2, action: 'revert', by: { name: 'admin' } });
    expect(changes.items.filter((c) => c.kind === 'contract' && c.id === 'gold').map((c) => c.action)).toEqual(['create', 'retire', 'update', 'create']);
    const onlyGold = kit.json<{ total: number }>(await kit.call('GET', '/api/v1/catalogue/changes?kind=contract&id=gold&limit=1'));
    expect(onlyGold.total).toBe(4);
    const page = kit.json<{ items: unknown[]; nextOffset: number | null }>(await kit.call('GET', '/api/v1/catalogue/changes?limit=2'));
    expect(page.items).toHaveLength(2);
    expect(page.nextOffset).toBe(2);
  });

  it('customers and technicians cannot change anything; a customer cannot read contracts at all', async () => {
    for (const who of ['tech', 'acme', 'dispatcher'] as const) {
      const res = await kit.call('PUT', '/api/v1/impact-rules', kit.tokens[who], withDoorLow, { 'if-match': '"2"' });
      expect(res.statusCode, who).toBe(403);
      expect((await kit.call('POST', '/api/v1/contracts', kit.tokens[who], { ...GOLD, id: 'x' })).statusCode, who).toBe(403);
    }
    expect((await kit.call('GET', '/api/v1/contracts/gold/versions', kit.tokens.globex)).statusCode).toBe(403);
    expect((await kit.call('GET', '/api/v1/catalogue/changes', kit.tokens.tech)).statusCode).toBe(403);
  });
});
