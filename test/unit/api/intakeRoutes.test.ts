/** POST /tickets (manual intake), replies, confirmation and the triage corrections, over the real server composition. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApiKit, type ApiKit } from './apiTestKit.js';

interface TicketBody {
  id: string;
  status: string;
  channel: string;
  impact: string;
  queue: string;
  title: string;
  customer: { id: string; contractId: string };
  device: { id: string; serial?: string } | null;
  site: { id: string; name: string };
  reporter?: { name?: string; email?: string };
  comments: Array<{ text: string; public: boolean; by: string }>;
  history: Array<{ what: string; detail: string; by: string; visibility?: string }>;
  sla: {
    level: string;
    guaranteed: boolean;
    contractId: string;
    reaction: { deadlineAt: number | null; targetMs: number | null; breached: boolean };
    resolution: { deadlineAt: number | null; state: string } | null;
  };
}
interface IntakeBody {
  ticket: TicketBody;
  duplicateOf: string | null;
  deadlines: { reaction: string | null; resolution: string | null };
}

let kit: ApiKit;
let acmeTicket: string;

beforeAll(async () => {
  kit = await makeApiKit();
  ({ acmeTicket } = await kit.seed());
});
afterAll(async () => {
  await kit.close();
});

const report = (over: Record<string, unknown> = {}) => ({
  customer: 'acme',
  subject: 'Printer prints blank pages',
  description: 'Since this morning every page comes out blank.',
  channel: 'phone',
  contact: { name: 'Ewa Zielińska', phone: '+48 600 100 200' },
  ...over,
});

describe('POST /tickets', () => {
  it('opens a ticket with the same SLA clock as a fault: deadline in the response, reporter and text kept', async () => {
    const res = await kit.call(
      'POST',
      '/api/v1/tickets',
      kit.tokens.dispatcher,
      report({ channel: 'email', device: { serial: 'SN-A2' }, impact: 'high', contact: { name: 'Ewa', email: 'ewa@acme.example' } }),
    );
    expect(res.statusCode, res.body).toBe(201);
    const body = kit.json<IntakeBody>(res);
    expect(body.duplicateOf).toBeNull();
    expect(body.ticket).toMatchObject({
      status: 'new',
      channel: 'email',
      impact: 'high',
      title: 'Printer prints blank pages',
      device: { id: 'acme/sn:sn-a2', serial: 'SN-A2' },
      site: { id: 'acme-hq' },
      reporter: { name: 'Ewa', email: 'ewa@acme.example' },
    });
    // device-vendor: high → 6 working hours from Monday 09:00:30 Warsaw (8-17) → 15:00:30.
    expect(body.deadlines.reaction).toBe('2026-01-05T14:00:30.000Z');
    expect(body.ticket.sla.reaction.deadlineAt).toBe(Date.parse('2026-01-05T14:00:30Z'));
    expect(body.ticket.comments[0]).toMatchObject({ text: 'Since this morning every page comes out blank.', public: true, by: 'disp' });
    expect(body.ticket.history[0]).toMatchObject({ what: 'opened', by: 'disp' });
  });

  it('a second report on the same device joins the open ticket (200 + duplicateOf) instead of opening another', async () => {
    const res = await kit.call('POST', '/api/v1/tickets', kit.tokens.dispatcher, report({ device: { key: 'acme/sn:sn-a1' }, subject: 'Paper stuck again' }));
    expect(res.statusCode, res.body).toBe(200);
    const body = kit.json<IntakeBody>(res);
    expect(body.duplicateOf).toBe(acmeTicket);
    expect(body.ticket.id).toBe(acmeTicket);
    expect(body.ticket.history.at(-1)).toMatchObject({ what: 'duplicate report', detail: expect.stringContaining('phone report by Ewa Zielińska') as string });
    expect(body.ticket.comments.at(-1)?.text).toContain('Paper stuck again');
    const open = (await kit.app.tickets.workQueue()).filter((t) => t.device?.id === 'acme/sn:sn-a1');
    expect(open).toHaveLength(1);
  });

  it('the same e-mail (externalRef) taken twice opens one ticket', async () => {
    const mail = report({ channel: 'email', subject: 'Scanner broken', externalRef: '<m1@acme.example>' });
    const first = kit.json<IntakeBody>(await kit.call('POST', '/api/v1/tickets', kit.tokens.dispatcher, mail));
    const again = await kit.call('POST', '/api/v1/tickets', kit.tokens.dispatcher, mail);
    expect(again.statusCode).toBe(200);
    expect(kit.json<IntakeBody>(again)).toMatchObject({ duplicateOf: first.ticket.id, ticket: { id: first.ticket.id } });
  });

  it('levels only people set (sev5 of a five-level contract) and their absence of a guarantee by phone', async () => {
    // device-vendor has no sev5: a clear 400 naming the field.
    const bad = await kit.call('POST', '/api/v1/tickets', kit.tokens.dispatcher, report({ level: 'sev5' }));
    expect(bad.statusCode).toBe(400);
    expect(kit.json(bad)).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'body.level',
      message: expect.stringMatching(/contract device-vendor has no level "sev5" \(levels: /) as string,
    });
    const low = kit.json<IntakeBody>(await kit.call('POST', '/api/v1/tickets', kit.tokens.dispatcher, report({ level: 'low', subject: 'Toner question' })));
    expect(low.ticket).toMatchObject({ impact: 'low', sla: { level: 'low' } });
  });

  it('bad input: missing subject, unknown customer, unknown channel, empty device selector', async () => {
    const noSubject = await kit.call('POST', '/api/v1/tickets', kit.tokens.dispatcher, { customer: 'acme', channel: 'phone' });
    expect(noSubject.statusCode).toBe(400);
    expect(kit.json(noSubject)).toMatchObject({ field: 'body.subject' });
    const unknown = await kit.call('POST', '/api/v1/tickets', kit.tokens.dispatcher, report({ customer: 'initech' }));
    expect(unknown.statusCode).toBe(400);
    expect(kit.json(unknown)).toMatchObject({ field: 'body.customer', message: 'no customer "initech"' });
    const channel = await kit.call('POST', '/api/v1/tickets', kit.tokens.dispatcher, report({ channel: 'fax' }));
    expect(kit.json(channel)).toMatchObject({ statusCode: 400, field: 'body.channel' });
    const selector = await kit.call('POST', '/api/v1/tickets', kit.tokens.dispatcher, report({ device: {} }));
    expect(kit.json(selector)).toMatchObject({ statusCode: 400, field: 'body.device' });
  });

  it('customer isolation: a customer token reports only for itself, and another customer’s device answers as a missing one', async () => {
    const other = await kit.call('POST', '/api/v1/tickets', kit.tokens.acme, report({ customer: 'globex', channel: 'portal' }));
    expect(other.statusCode).toBe(403);
    const foreign = await kit.call('POST', '/api/v1/tickets', kit.tokens.acme, report({ channel: 'portal', device: { key: 'globex/sn:sn-g1' } }));
    const missing = await kit.call('POST', '/api/v1/tickets', kit.tokens.acme, report({ channel: 'portal', device: { key: 'acme/sn:nothing' } }));
    expect(foreign.statusCode).toBe(404);
    expect(missing.statusCode).toBe(404);
    // The same answer except for the key the caller sent itself: nothing says the device exists elsewhere.
    expect(kit.json<{ message: string }>(foreign).message.replace('globex/sn:sn-g1', 'X')).toBe(
      kit.json<{ message: string }>(missing).message.replace('acme/sn:nothing', 'X'),
    );
    const serialOfOther = await kit.call('POST', '/api/v1/tickets', kit.tokens.acme, report({ channel: 'portal', device: { serial: 'SN-G1' } }));
    expect(serialOfOther.statusCode).toBe(404);
    const phone = await kit.call('POST', '/api/v1/tickets', kit.tokens.acme, report({ channel: 'phone' }));
    expect(kit.json(phone)).toMatchObject({ statusCode: 400, field: 'body.channel' });
    const own = await kit.call(
      'POST',
      '/api/v1/tickets',
      kit.tokens.acme,
      report({ channel: 'portal', device: { serial: 'sn-a2' }, subject: 'Portal report' }),
    );
    expect([200, 201]).toContain(own.statusCode);
    expect(kit.json<IntakeBody>(own).ticket.customer.id).toBe('acme');
    const tech = await kit.call('POST', '/api/v1/tickets', kit.tokens.tech, report());
    expect(tech.statusCode).toBe(403);
  });
});

describe('replies and confirmation', () => {
  it('a customer reply answers a waiting ticket (clock resumes); confirmation closes a resolved one', async () => {
    const opened = kit.json<IntakeBody>(
      await kit.call('POST', '/api/v1/tickets', kit.tokens.dispatcher, report({ channel: 'form', subject: 'Cannot scan to e-mail' })),
    );
    const id = opened.ticket.id;
    expect((await kit.call('POST', `/api/v1/tickets/${id}/wait-for-customer`, kit.tokens.dispatcher, { question: 'Which SMTP server?' })).statusCode).toBe(200);
    kit.clock.advance(3_600_000);
    const reply = await kit.call('POST', `/api/v1/tickets/${id}/replies`, kit.tokens.acme, { text: 'smtp.acme.example' });
    expect(reply.statusCode, reply.body).toBe(201);
    const replied = kit.json<TicketBody>(reply);
    expect(replied.status).toBe('inProgress');
    expect((replied as TicketBody & { waiting: unknown }).waiting).toBeNull();
    expect(replied.history.at(-1)).toMatchObject({ what: 'customer replied', by: 'acme-viewer', detail: 'answer received; clock resumed' });
    // Another customer cannot reply to it, nor see that it exists.
    expect((await kit.call('POST', `/api/v1/tickets/${id}/replies`, kit.tokens.globex, { text: 'x' })).statusCode).toBe(404);
    expect((await kit.call('POST', `/api/v1/tickets/${id}/confirm`, kit.tokens.acme, {})).statusCode).toBe(409);
    expect((await kit.call('POST', `/api/v1/tickets/${id}/resolve`, kit.tokens.dispatcher, { solution: 'SMTP settings fixed' })).statusCode).toBe(200);
    const confirmed = await kit.call('POST', `/api/v1/tickets/${id}/confirm`, kit.tokens.acme, { note: 'works now' });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(kit.json<TicketBody & { resolution: string }>(confirmed)).toMatchObject({ status: 'closed', resolution: 'customerConfirmed' });
    expect((await kit.call('POST', `/api/v1/tickets/${id}/replies`, kit.tokens.acme, { text: 'thanks' })).statusCode).toBe(409);
  });
});

describe('what a customer sees', () => {
  it('internal notes and internal history (corrections, assignment, time, escalation) never reach a customer token; public replies do', async () => {
    const opened = kit.json<IntakeBody>(
      await kit.call('POST', '/api/v1/tickets', kit.tokens.dispatcher, report({ channel: 'phone', subject: 'Stapler jams' })),
    );
    const id = opened.ticket.id;
    const secret = 'SECRET-internal-remark-7f3';
    const staff = (path: string, body: unknown) => kit.call('POST', `/api/v1/tickets/${id}/${path}`, kit.tokens.dispatcher, body);
    expect((await staff('comments', { text: `note: ${secret}` })).statusCode).toBe(200);
    expect((await staff('acknowledge', { note: `ack ${secret}` })).statusCode).toBe(200);
    expect((await staff('change-impact', { impact: 'high', reason: `reason ${secret}` })).statusCode).toBe(200);
    expect((await staff('escalate', { reason: `escalated ${secret}` })).statusCode).toBe(200);
    expect((await staff('comments', { text: 'We will replace the stapler unit.', public: true })).statusCode).toBe(200);

    const asStaff = kit.json<TicketBody>(await kit.call('GET', `/api/v1/tickets/${id}`, kit.tokens.dispatcher));
    expect(JSON.stringify(asStaff)).toContain(secret);
    expect(asStaff.history.find((e) => e.what === 'impact changed')?.visibility).toBe('internal');
    expect(asStaff.history.find((e) => e.what === 'opened')?.visibility).toBe('customer');

    for (const path of [`/api/v1/tickets/${id}`, `/api/v1/tickets/${id}/report`]) {
      const res = await kit.call('GET', path, kit.tokens.acme);
      expect(res.statusCode, `${path}: ${res.body}`).toBe(200);
      expect(res.body, path).not.toContain(secret);
    }
    const asCustomer = kit.json<TicketBody>(await kit.call('GET', `/api/v1/tickets/${id}`, kit.tokens.acme));
    expect(asCustomer.comments.map((c) => c.text)).toEqual(expect.arrayContaining(['We will replace the stapler unit.']));
    expect(asCustomer.comments.every((c) => c.public)).toBe(true);
    expect(asCustomer.history.map((e) => e.what)).toContain('opened');
    expect(asCustomer.history.map((e) => e.what)).not.toContain('impact changed');
    expect(asCustomer.history.map((e) => e.what)).not.toContain('escalated');
  });
});

describe('triage and corrections', () => {
  it('change-impact recalculates the deadline keeping the elapsed time; history and audit record who, why, from and to', async () => {
    const opened = kit.json<IntakeBody>(
      await kit.call('POST', '/api/v1/tickets', kit.tokens.dispatcher, report({ channel: 'email', impact: 'low', subject: 'Slow printing' })),
    );
    const id = opened.ticket.id;
    const before = opened.ticket.sla.reaction;
    const res = await kit.call('POST', `/api/v1/tickets/${id}/change-impact`, kit.tokens.dispatcher, {
      impact: 'critical',
      reason: 'whole accounting team blocked',
    });
    expect(res.statusCode, res.body).toBe(200);
    const t = kit.json<TicketBody>(res);
    expect(t).toMatchObject({ impact: 'critical', sla: { level: 'critical' } });
    expect(t.sla.reaction.deadlineAt).toBeLessThan(before.deadlineAt!);
    expect(t.history.at(-1)).toMatchObject({
      what: 'impact changed',
      by: 'disp',
      detail: expect.stringContaining('low/low → critical/critical: whole accounting team blocked') as string,
    });
    const audit = kit.json<{ items: Array<Record<string, unknown>> }>(await kit.call('GET', `/api/v1/tickets/${id}/audit`, kit.tokens.dispatcher));
    expect(audit.items).toEqual([
      expect.objectContaining({
        ticketId: id,
        by: 'disp',
        change: 'impact',
        from: 'low/low',
        to: 'critical/critical',
        reason: 'whole accounting team blocked',
      }),
    ]);
  });

  it('queue, device, contract and customer corrections; bad input names the field', async () => {
    const id = kit.json<IntakeBody>(await kit.call('POST', '/api/v1/tickets', kit.tokens.dispatcher, report({ channel: 'email', subject: 'Wrong colours' })))
      .ticket.id;
    const queue = kit.json<TicketBody>(
      await kit.call('POST', `/api/v1/tickets/${id}/change-queue`, kit.tokens.dispatcher, { queue: 'ink-and-heads', reason: 'colour problem' }),
    );
    expect(queue.queue).toBe('ink-and-heads');
    const device = kit.json<TicketBody>(
      await kit.call('POST', `/api/v1/tickets/${id}/change-device`, kit.tokens.dispatcher, {
        device: { serial: 'SN-A2' },
        reason: 'caller named the wrong printer',
      }),
    );
    expect(device).toMatchObject({ device: { id: 'acme/sn:sn-a2' }, site: { id: 'acme-hq' } });
    const foreignDevice = await kit.call('POST', `/api/v1/tickets/${id}/change-device`, kit.tokens.dispatcher, {
      device: { key: 'globex/sn:sn-g1' },
      reason: 'x',
    });
    expect(foreignDevice.statusCode).toBe(404);
    const contract = await kit.call('POST', `/api/v1/tickets/${id}/change-contract`, kit.tokens.dispatcher, {
      contract: 'standard',
      reason: 'renewed on 1 January',
    });
    expect(contract.statusCode, contract.body).toBe(200);
    expect(kit.json<TicketBody>(contract).sla.contractId).toBe('standard');
    expect(kit.json(await kit.call('POST', `/api/v1/tickets/${id}/change-contract`, kit.tokens.dispatcher, { contract: 'nope', reason: 'x' }))).toMatchObject({
      statusCode: 400,
      field: 'body.contract',
    });
    expect(kit.json(await kit.call('POST', `/api/v1/tickets/${id}/change-queue`, kit.tokens.dispatcher, { queue: 'x' }))).toMatchObject({
      statusCode: 400,
      field: 'body.reason',
    });
    const customer = await kit.call('POST', `/api/v1/tickets/${id}/change-customer`, kit.tokens.dispatcher, {
      customer: 'globex',
      device: { serial: 'SN-G1' },
      reason: 'globex called on acme’s line',
    });
    expect(customer.statusCode, customer.body).toBe(200);
    expect(kit.json<TicketBody>(customer)).toMatchObject({
      customer: { id: 'globex', contractId: 'device-vendor' },
      device: { id: 'globex/sn:sn-g1' },
      site: { id: 'globex-waw' },
    });
    // Now acme no longer sees it; globex does.
    expect((await kit.call('GET', `/api/v1/tickets/${id}`, kit.tokens.acme)).statusCode).toBe(404);
    expect((await kit.call('GET', `/api/v1/tickets/${id}`, kit.tokens.globex)).statusCode).toBe(200);
    const audit = kit.json<{ items: Array<{ change: string }> }>(await kit.call('GET', `/api/v1/tickets/${id}/audit`, kit.tokens.dispatcher));
    expect(audit.items.map((e) => e.change)).toEqual(['queue', 'device', 'contract', 'customer']);
  });

  it('a monitoring ticket keeps its device; technicians and customers may not correct', async () => {
    const res = await kit.call('POST', `/api/v1/tickets/${acmeTicket}/change-device`, kit.tokens.dispatcher, { device: { serial: 'SN-A2' }, reason: 'x' });
    expect(res.statusCode).toBe(409);
    expect((await kit.call('POST', `/api/v1/tickets/${acmeTicket}/change-impact`, kit.tokens.tech, { impact: 'low', reason: 'x' })).statusCode).toBe(403);
    expect((await kit.call('POST', `/api/v1/tickets/${acmeTicket}/change-impact`, kit.tokens.acme, { impact: 'low', reason: 'x' })).statusCode).toBe(403);
    const none = await kit.call('POST', `/api/v1/tickets/${acmeTicket}/change-impact`, kit.tokens.dispatcher, { reason: 'x' });
    expect(kit.json(none)).toMatchObject({ statusCode: 400, field: 'body.impact' });
    const level = await kit.call('POST', `/api/v1/tickets/${acmeTicket}/change-impact`, kit.tokens.dispatcher, { level: 'sev9', reason: 'x' });
    expect(level.statusCode).toBe(409);
    expect(kit.json<{ message: string }>(level).message).toMatch(/has no level "sev9"/);
  });
});
