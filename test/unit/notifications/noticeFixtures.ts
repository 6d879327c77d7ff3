/**
 * Real tickets and notices for notification tests, made by the ticket engine itself
 * (server/tickets/ticketPolicy.ts), so the facts and templates are tested against what the engine
 * really emits (e.g. the detail line that names the SLA clock).
 */
import { applyAction, type TicketAction } from '../../../server/tickets/ticketActions.js';
import { noticesOf, type Notice, type PolicyOutcome } from '../../../server/tickets/ticketPolicy.js';
import { applyFleetEvent } from '../../../server/tickets/ticketFleetEvents.js';
import { tickTicket } from '../../../server/tickets/ticketTimers.js';
import type { Ticket } from '../../../server/tickets/ticket.js';
import { at, contextFactory, MIN, raised } from '../tickets/fixtures.js';

/** Monday 2 March 2026, 09:00 in Warsaw: a critical jam has a 2 h reaction target (device-vendor). */
export const MON_0900 = at('2026-03-02T09:00');

export interface Story {
  /** The ticket as it was right after each notice. */
  readonly steps: Array<{ notice: Notice; ticket: Ticket }>;
  of(kind: Notice['kind']): { notice: Notice; ticket: Ticket };
}

/** A critical jam: opened, SLA warning, breach, escalation, waiting for the customer, two contact attempts, resolved. */
export function jamStory(): Story {
  const ctx = contextFactory();
  const steps: Array<{ notice: Notice; ticket: Ticket }> = [];
  let t: Ticket;
  // Notices as the ticket service publishes them: with the facts of the ticket the change left.
  const record = (outcome: PolicyOutcome) => {
    t = outcome.tickets[0] ?? t;
    for (const notice of noticesOf(outcome)) steps.push({ notice, ticket: t });
  };
  record(applyFleetEvent(raised('jam', MON_0900, { impact: 'critical' }), [], ctx(MON_0900)));
  for (const minutes of [100, 130]) {
    const r = tickTicket(t!, ctx(MON_0900 + minutes * MIN));
    if (r) record(r);
  }
  let now = MON_0900 + 140 * MIN;
  const act = (action: TicketAction) => {
    now += 5 * MIN;
    record(applyAction(t, action, ctx(now)));
  };
  act({ type: 'escalate', by: 'disp', reason: 'needs a part' });
  act({ type: 'acknowledge', by: 'disp' });
  act({ type: 'waitForCustomer', by: 'disp', question: 'which tray?' });
  act({ type: 'contactAttempt', by: 'disp', channel: 'phone', note: 'no answer' });
  act({ type: 'contactAttempt', by: 'disp', channel: 'email', note: 'no answer' });
  act({ type: 'customerReplied', by: 'acme', text: 'tray 2' });
  act({ type: 'resolve', by: 'disp', solution: 'cleared the jam' });
  return {
    steps,
    of: (kind) => {
      const s = steps.find((x) => x.notice.kind === kind);
      if (!s) throw new Error(`the story has no ${kind} notice: ${steps.map((x) => x.notice.kind).join(', ')}`);
      return s;
    },
  };
}
