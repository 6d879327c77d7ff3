import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET, makeApiKit, type ApiKit } from './apiTestKit.js';

let kit: ApiKit;
let acmeTicket = '';
let globexTicket = '';

beforeAll(async () => {
  // ACME has 4 h on-site arrival; the kit's clock starts Monday 5 January 2026, 09:00:30 in Warsaw.
  // Its printer SN-A1 is in warranty until the end of 2026 (serials match case-insensitively).
  kit = await makeApiKit({
    fleet: {
      ...FLEET,
      customers: { ...FLEET.customers, acme: { ...FLEET.customers.acme, contract: 'device-vendor-onsite-4h' } },
      warranties: { 'sn-a1': '2026-12-31' },
    },
  });
  ({ acmeTicket, globexTicket } = await kit.seed());
});
afterAll(async () => {
  await kit.close();
});

interface VisitView {
  id: string;
  technician: string | null;
  plannedAt: number | null;
  arrivedAt: number | null;
  arrivalMet: boolean | null;
  departedAt: number | null;
  workDone: string | null;
}
type TicketView = {
  visits?: VisitView[];
  sla: { onSite: { deadlineAt: number | null; state: string } | null };
  history: Array<{ what: string; by: string; detail: string }>;
};
type Row = { id: string; onSite: { visitId: string; dueAt: number | null; technician: string | null; breached: boolean } | null };

describe('on-site visits over the API', () => {
  it('request (target from the contract), schedule, arrival and departure, each in the history and the queue row', async () => {
    const req = await kit.call('POST', `/api/v1/tickets/${acmeTicket}/visits`, kit.tokens.dispatcher, { reason: 'jam keeps coming back' });
    expect(req.statusCode, req.body).toBe(201);
    const requested = kit.json<TicketView>(req);
    const due = requested.sla.onSite!.deadlineAt!;
    // Monday 09:00:30 + 4 working hours.
    expect(new Date(due).toISOString()).toBe('2026-01-05T12:00:30.000Z');
    expect(requested.history.at(-1)).toMatchObject({ what: 'on-site requested', by: 'disp' });
    expect(requested.history.at(-1)!.detail).toMatch(/^V1: jam keeps coming back; arrival due 2026-01-05T12:00:30.000Z \(4h, workingTime\)$/);

    const byTech = await kit.call('PATCH', `/api/v1/tickets/${acmeTicket}/visits/V1`, kit.tokens.tech, { technician: 'tomek' });
    expect(byTech.statusCode).toBe(403);
    const sched = await kit.call('PATCH', `/api/v1/tickets/${acmeTicket}/visits/V1`, kit.tokens.dispatcher, {
      technician: 'tomek',
      plannedAt: '2026-01-05T11:00:00+01:00',
    });
    expect(sched.statusCode, sched.body).toBe(200);
    expect(kit.json<TicketView>(sched).visits![0]).toMatchObject({ technician: 'tomek', plannedAt: Date.parse('2026-01-05T10:00:00Z') });

    const rows = kit.json<{ items: Row[] }>(await kit.call('GET', '/api/v1/tickets', kit.tokens.dispatcher)).items;
    expect(rows.find((r) => r.id === acmeTicket)!.onSite).toMatchObject({ visitId: 'V1', dueAt: due, technician: 'tomek', breached: false });
    expect(rows.find((r) => r.id === globexTicket)!.onSite).toBeNull();

    kit.clock.advance(2 * 3_600_000);
    const arrived = await kit.call('POST', `/api/v1/tickets/${acmeTicket}/visits/V1/arrival`, kit.tokens.tech, {});
    expect(arrived.statusCode, arrived.body).toBe(200);
    expect(kit.json<TicketView>(arrived).visits![0]).toMatchObject({ arrivalMet: true, arrivedAt: kit.clock.now() });
    const again = await kit.call('POST', `/api/v1/tickets/${acmeTicket}/visits/V1/arrival`, kit.tokens.tech, {});
    expect(again.statusCode).toBe(409);
    expect(kit.json(again)).toMatchObject({ message: expect.stringMatching(/arrival for visit V1 is already recorded/) as unknown });

    kit.clock.advance(45 * 60_000);
    const left = await kit.call('POST', `/api/v1/tickets/${acmeTicket}/visits/V1/departure`, kit.tokens.tech, { workDone: 'pick-up roller replaced' });
    expect(left.statusCode, left.body).toBe(200);
    const view = kit.json<TicketView>(left);
    expect(view.visits![0]).toMatchObject({ workDone: 'pick-up roller replaced', departedAt: kit.clock.now() });
    expect(view.history.at(-1)).toMatchObject({ what: 'technician departed', by: 'tomek', detail: 'V1: 45 min on site: pick-up roller replaced' });
    const after = kit.json<{ items: Row[] }>(await kit.call('GET', '/api/v1/tickets', kit.tokens.dispatcher)).items;
    expect(after.find((r) => r.id === acmeTicket)!.onSite).toBeNull();
  });

  it('answers unknown visits, bad ids and other customers clearly', async () => {
    const unknown = await kit.call('POST', `/api/v1/tickets/${acmeTicket}/visits/V9/arrival`, kit.tokens.dispatcher, {});
    expect(unknown.statusCode).toBe(409);
    expect(kit.json(unknown)).toMatchObject({ message: expect.stringContaining('has no on-site visit "V9" (visits: V1)') as unknown });
    const badId = await kit.call('PATCH', `/api/v1/tickets/${acmeTicket}/visits/x1`, kit.tokens.dispatcher, { technician: 'a' });
    expect(badId.statusCode).toBe(400);
    const empty = await kit.call('PATCH', `/api/v1/tickets/${acmeTicket}/visits/V1`, kit.tokens.dispatcher, {});
    expect(empty.statusCode).toBe(400);
    // Globex's contract has no on-site term: the visit is recorded without an arrival target.
    const noTarget = await kit.call('POST', `/api/v1/tickets/${globexTicket}/visits`, kit.tokens.dispatcher, { reason: 'check' });
    expect(noTarget.statusCode).toBe(201);
    expect(kit.json<TicketView>(noTarget).history.at(-1)!.detail).toBe('V1: check; no arrival target in the contract');
    expect((await kit.call('POST', `/api/v1/tickets/${globexTicket}/visits`, kit.tokens.acme, { reason: 'x' })).statusCode).toBe(403);
  });

  it('final report: HTML and PDF in Polish and English, with the visit, work, billing and SLA outcomes; customers only their own', async () => {
    await kit.call('POST', `/api/v1/tickets/${acmeTicket}/time-entries`, kit.tokens.tech, { channel: 'phone', minutes: 11, note: 'called the office' });
    await kit.call('POST', `/api/v1/tickets/${acmeTicket}/comments`, kit.tokens.dispatcher, { text: 'internal: cheap customer' });
    const resolved = await kit.call('POST', `/api/v1/tickets/${acmeTicket}/resolve`, kit.tokens.tech, {
      solution: 'Wymieniono rolkę pobierającą; zażółć gęślą jaźń',
    });
    expect(resolved.statusCode, resolved.body).toBe(200);
    const pl = await kit.call('GET', `/api/v1/tickets/${acmeTicket}/report?lang=pl`, kit.tokens.acme);
    expect(pl.statusCode, pl.body).toBe(200);
    expect(pl.headers['content-type']).toMatch(/^text\/html/);
    expect(pl.body).toContain('<html lang="pl">');
    expect(pl.body).toContain(`Raport końcowy zgłoszenia ${acmeTicket}`);
    expect(pl.body).toContain('ACME sp. z o.o.');
    expect(pl.body).toContain('HP LaserJet M404, S/N SN-A1');
    expect(pl.body).toContain('gwarancja do 2026-12-31');
    expect(kit.json<{ device: { warrantyUntil?: string } }>(await kit.call('GET', `/api/v1/tickets/${acmeTicket}`, kit.tokens.acme)).device.warrantyUntil).toBe(
      '2026-12-31',
    );
    expect(
      kit.json<{ device: { warrantyUntil?: string } }>(await kit.call('GET', `/api/v1/tickets/${globexTicket}`, kit.tokens.globex)).device.warrantyUntil,
    ).toBeUndefined();
    expect(pl.body).toContain('Przyjazd serwisu');
    expect(pl.body).toContain('pick-up roller replaced');
    // The device-vendor contract has no time rules: 11 phone minutes are recorded, none billed.
    expect(pl.body).toMatch(/<td>tomek<\/td><td>phone<\/td><td>11<\/td><td>0<\/td><td>called the office<\/td>/);
    expect(pl.body).toContain('Wymieniono rolkę pobierającą; zażółć gęślą jaźń');
    expect(pl.body).not.toContain('cheap customer');
    const en = await kit.call('GET', `/api/v1/tickets/${acmeTicket}/report?lang=en`, kit.tokens.dispatcher);
    expect(en.body).toContain(`Final ticket report ${acmeTicket}`);
    expect(en.body).toMatch(/<td>On-site arrival<\/td><td>4 h<\/td><td>2026-01-05 13:00<\/td><td class="met">met<\/td>/);
    expect(en.body).toMatch(/rule [^<]*jam/);
    const pdf = await kit.call('GET', `/api/v1/tickets/${acmeTicket}/report.pdf?lang=en`, kit.tokens.acme);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.headers['content-disposition']).toBe(`attachment; filename="${acmeTicket}-report-en.pdf"`);
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    // Another customer's ticket does not exist for this token.
    expect((await kit.call('GET', `/api/v1/tickets/${acmeTicket}/report`, kit.tokens.globex)).statusCode).toBe(404);
    expect((await kit.call('GET', `/api/v1/tickets/${acmeTicket}/report.pdf`, kit.tokens.globex)).statusCode).toBe(404);
    expect((await kit.call('GET', `/api/v1/tickets/${acmeTicket}/report?lang=de`, kit.tokens.acme)).statusCode).toBe(400);
  });
});
