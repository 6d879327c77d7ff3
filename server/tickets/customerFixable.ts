/**
 * Customer-fixable faults: the customer first, the vendor only if it lasts (issue 15 §6). A door
 * left open, paper out, an input tray pulled out or a full output tray (impact rules
 * `customerFixable`, server/impact/impactRules.ts) are cleared by the customer's own staff in a
 * minute; a vendor ticket for each would only be closed as "fixed by customer". So such a fault
 * first tells the customer (contract `customerFixable.notify`) and starts a hold; the vendor
 * ticket opens when the hold runs out (`vendorTicketAfter`, working time of the contract
 * calendar), and its history says when and whom the customer was told. A fault that clears
 * during the hold ends it: no vendor ticket.
 *
 * Pure, like plannedStops.ts: the ticket service keeps the holds in its store (one per device and
 * fault), asks `admitFaultEvent` what an event does, and fires the due holds' timers
 * (`holdTimer`, the `{dueAt, fire}` shape of ticketTimers.ts) from its timer, so holds survive a
 * restart. The vendor ticket is opened by the ordinary fleet-event rule (ticketFleetEvents.ts),
 * with the same SLA clock as any automatic ticket, starting when the hold ends.
 */
import type { FaultCode } from '../../shared/faults.js';
import { faultKey, type FaultIdentity } from '../../shared/faultIdentity.js';
import type { FaultRaisedEvent, FleetEvent } from '../events/fleetEvents.js';
import { customerFixableFaults, type ImpactSettings } from '../impact/impactRules.js';
import { addWorkingTime } from '../sla/businessCalendar.js';
import { durationMs, type Contract } from '../sla/contract.js';
import { isFault, ticketFaultLabel, type Ticket } from './ticket.js';
import { applyFleetEvent } from './ticketFleetEvents.js';
import { log, SYSTEM, type PolicyContext, type PolicyOutcome } from './ticketPolicy.js';

/** The notification kind of a customer notice (server/notifications). */
export const CUSTOMER_FIXABLE_NOTICE = 'device.customerFixable';

/** A customer-fixable fault whose hold runs: the customer was told, the vendor ticket waits. */
export interface CustomerFixableHold {
  /** `<deviceKey>|<faultKey>`: one hold per device and fault (holdKey). */
  readonly key: string;
  readonly deviceId: string;
  /** When the customer was told (the hold's start). */
  readonly notifiedAt: number;
  /** The addresses the notice went to ("contact" resolved); empty when the customer has no contact e-mail on file. */
  readonly notified: readonly string[];
  /** When the vendor ticket opens if the fault is still there. */
  readonly dueAt: number;
  /** The contract and term that set `dueAt`, for the ticket history. */
  readonly contractId: string;
  readonly vendorTicketAfter: string;
  /** The raise the vendor ticket is opened from (its evidence and impact as first reported). */
  readonly event: FaultRaisedEvent;
}

/** What a customer notice says: the device, its fault and when the vendor ticket opens (no ticket exists yet). */
export interface CustomerFixableFacts {
  readonly key: string;
  readonly customer: { readonly id: string; readonly name: string };
  readonly site: { readonly id: string; readonly name: string };
  readonly device: { readonly id: string; readonly vendor?: string; readonly model?: string; readonly serial?: string; readonly location?: string };
  readonly fault: FaultIdentity;
  readonly vendorTicketAt: number;
}

/** A notice to the customer's people about a customer-fixable fault; queued in the unit of work that started the hold. */
export interface CustomerFixableNotice {
  readonly kind: typeof CUSTOMER_FIXABLE_NOTICE;
  readonly at: number;
  /** Human-readable, English (logs, webhooks); messages are rendered from the facts. */
  readonly detail: string;
  readonly facts: CustomerFixableFacts;
  /** The addresses the contract names (its "contact" resolved to the customer's contact e-mail). */
  readonly to: readonly string[];
}

export interface AdmittedFault {
  /** The event for the ticket rules now; null while a hold keeps the vendor ticket back. */
  readonly apply: FleetEvent | null;
  /** The hold of the event's device and fault from now on: a new one, null = none (removed), undefined = unchanged. */
  readonly hold: CustomerFixableHold | null | undefined;
  readonly notice: CustomerFixableNotice | null;
}

export function holdKey(deviceId: string, fault: FaultIdentity): string {
  return `${deviceId}|${faultKey(fault)}`;
}

/** The hold key an event concerns (faults raised and cleared), or null. */
export function holdKeyOf(event: FleetEvent): string | null {
  return event.type === 'faultRaised' || event.type === 'faultCleared' ? holdKey(event.device.deviceKey, event.fault) : null;
}

/** Who the contract says is told: "contact" is the customer's contact e-mail (skipped when there is none); duplicates once. */
function recipients(notify: readonly string[], contactEmail: string | undefined): string[] {
  const out: string[] = [];
  for (const n of notify) {
    const to = n === 'contact' ? contactEmail : n;
    if (to !== undefined && !out.some((x) => x.toLowerCase() === to.toLowerCase())) out.push(to);
  }
  return out;
}

/**
 * The customer-fixable faults that wait for a customer nobody can tell (a start-up warning): none
 * when e-mail is configured, or when no contract holds them (`customerFixable: null` everywhere
 * opens their tickets at once).
 */
export function untoldCustomerHolds(
  rules: Pick<ImpactSettings, 'customerFixable'>,
  contracts: readonly Contract[],
  emailConfigured: boolean,
): readonly FaultCode[] {
  if (emailConfigured || !contracts.some((c) => c.spec.customerFixable !== null)) return [];
  return customerFixableFaults(rules);
}

/**
 * What a fleet event does, given the pending hold of its device and fault, the non-closed tickets
 * of the device and the customer's contract (the one in force). Only a raise of a customer-fixable
 * fault that no ticket holds yet starts a hold; one that a ticket already holds (the fault came
 * back within the reopen window) goes to its ticket as before, and every other event is applied
 * as it came. A repeated raise during the hold keeps the first one's deadline.
 */
export function admitFaultEvent(
  event: FleetEvent,
  pending: CustomerFixableHold | undefined,
  tickets: readonly Ticket[],
  contract: Contract,
  now: number,
): AdmittedFault {
  if (event.type === 'faultCleared') {
    // Cleared during the hold: the customer fixed it; nothing to open (no ticket holds the fault either).
    return { apply: event, hold: pending ? null : undefined, notice: null };
  }
  if (event.type !== 'faultRaised') return { apply: event, hold: undefined, notice: null };
  if (pending) return { apply: null, hold: undefined, notice: null };
  const term = contract.spec.customerFixable;
  const device = event.device;
  const held = tickets.some((t) => t.status !== 'closed' && t.faults.some((f) => isFault(f, device.deviceKey, event.fault)));
  const waitMs = term === null ? 0 : durationMs(term.vendorTicketAfter, contract.calendar.dayLengthMinutes);
  if (event.impact.customerFixable !== true || term === null || waitMs === 0 || held) return { apply: event, hold: undefined, notice: null };
  // Counted in the contract calendar's working time: the customer's staff are there to fix it then.
  const dueAt = addWorkingTime(contract.calendar, now, waitMs);
  const to = recipients(term.notify, device.customer.contact?.email);
  const hold: CustomerFixableHold = {
    key: holdKey(device.deviceKey, event.fault),
    deviceId: device.deviceKey,
    notifiedAt: now,
    notified: to,
    dueAt,
    contractId: contract.spec.id,
    vendorTicketAfter: term.vendorTicketAfter,
    event,
  };
  const label = ticketFaultLabel({ code: event.fault.code, subunit: event.fault.subunit ?? null }, 'en');
  const where = `${device.identity.model ?? device.deviceKey} at ${device.siteName}`;
  const notice: CustomerFixableNotice = {
    kind: CUSTOMER_FIXABLE_NOTICE,
    at: now,
    detail: `${label} on ${where}: customer-fixable, customer told${to.length > 0 ? ` (${to.join(', ')})` : ' (no address on file)'}; vendor ticket at ${new Date(dueAt).toISOString()} if still there`,
    facts: {
      key: hold.key,
      customer: { id: device.customer.id, name: device.customer.name },
      site: { id: device.siteId, name: device.siteName },
      device: {
        id: device.deviceKey,
        ...(device.identity.vendor !== undefined ? { vendor: device.identity.vendor } : {}),
        ...(device.identity.model !== undefined ? { model: device.identity.model } : {}),
        ...(device.identity.serial !== undefined ? { serial: device.identity.serial } : {}),
        ...(device.identity.location !== undefined ? { location: device.identity.location } : {}),
      },
      fault: { code: event.fault.code, ...(event.fault.subunit ? { subunit: event.fault.subunit } : {}) },
      vendorTicketAt: dueAt,
    },
    to,
  };
  return { apply: null, hold, notice };
}

/** A hold's timer in the shape of the ticket timers; `fire` gets the non-closed tickets of the hold's device. */
export interface HoldTimer {
  readonly rule: 'vendorTicketAfterCustomerFixable';
  readonly dueAt: number;
  fire(ctx: PolicyContext, tickets: readonly Ticket[]): PolicyOutcome;
}

/**
 * The hold ran out with the fault still there: the raise goes to the ticket rules now (a new
 * ticket whose clocks start now, or the device's ticket it joins), and the ticket that holds the
 * fault records when and whom the customer was told.
 */
export function holdTimer(hold: CustomerFixableHold): HoldTimer {
  return {
    rule: 'vendorTicketAfterCustomerFixable',
    dueAt: hold.dueAt,
    fire: (ctx, tickets) => {
      const out = applyFleetEvent(hold.event, tickets, ctx);
      const label = ticketFaultLabel({ code: hold.event.fault.code, subunit: hold.event.fault.subunit ?? null }, 'en');
      const whom = hold.notified.length > 0 ? hold.notified.join(', ') : 'no address on file';
      const detail =
        `${label} is customer-fixable: customer told at ${new Date(hold.notifiedAt).toISOString()} (${whom}); ` +
        `still there after ${hold.vendorTicketAfter} of working time (contract ${hold.contractId}, first seen ${hold.event.firstSeen})`;
      return {
        tickets: out.tickets.map((t) =>
          t.faults.some((f) => f.active && isFault(f, hold.deviceId, hold.event.fault)) ? log(t, ctx.now, SYSTEM, 'customer told first', detail) : t,
        ),
        notices: out.notices,
      };
    },
  };
}

/** Reads a stored hold; a record that is not one is an error naming it. */
export function readHold(value: unknown, id: string): CustomerFixableHold {
  const v = value as Partial<CustomerFixableHold> | null;
  if (
    !v ||
    typeof v.key !== 'string' ||
    typeof v.deviceId !== 'string' ||
    typeof v.dueAt !== 'number' ||
    typeof v.notifiedAt !== 'number' ||
    !Array.isArray(v.notified) ||
    !v.event ||
    v.event.type !== 'faultRaised'
  ) {
    throw new Error(`stored customer-fixable hold ${JSON.stringify(id)} is invalid: expected {key, deviceId, notifiedAt, notified, dueAt, event: faultRaised}`);
  }
  return v as CustomerFixableHold;
}
