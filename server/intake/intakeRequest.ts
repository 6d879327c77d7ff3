/**
 * Manual intake: a ticket reported by a person, the same way on every channel (REST
 * `POST /api/v1/tickets`, the customer portal, e-mail over IMAP, a dispatcher taking a call).
 *
 *   IntakeRequest {
 *     customer:    customer id (fleet.customers, or a tenant the fleet knows)
 *     device?:     { key? | serial? | address? }  one of the customer's devices (at least one field)
 *     subject:     1-500 characters, the ticket's title
 *     description: up to 10,000 characters (default "")
 *     channel:     phone | email | form | portal | chat
 *     contact:     { name?, email?, phone? }  who reported it
 *     impact?:     critical | high | medium | low
 *     level?:      a level of the customer's contract scale ("sev3", "sev5", …)
 *     occurredAt?: ISO instant with offset: when the problem began (default: now)
 *     externalRef?: the report's own reference (an e-mail Message-ID): the same report taken once
 *   }
 *   No impact and no level: medium. A level alone: the impact the contract maps to it (the most
 *   severe one); both: the level decides the clocks, the impact is what the desk sees.
 *
 *   openManualTicket(deps, request, by) → IntakeResult { ticket, duplicateOf, deadlines }
 *     in its own unit of work; `openManualTicketIn(tx, …)` inside a caller's (the mail intake
 *     records the mailbox UID in the same unit) and the caller settles the outcome after the commit.
 *     The ticket opens with the same SLA clock as a fault's (ticketOpening.ts); an open ticket of
 *     the same customer and device takes the report instead (history + public comment), and the
 *     result names it in `duplicateOf`; a reference already taken changes nothing.
 *   addCustomerReply(deps, ticketId, message) → Ticket
 *     the customer's answer (portal, e-mail reply): a public comment; while the ticket waits for
 *     the customer it is the answer the waiting rule waits for (the resolution clock resumes).
 *
 * Failures are IntakeError with a code the callers map: unknownCustomer, unknownDevice,
 * ambiguousDevice, unknownLevel (a REST 400/404, an e-mail's "unassigned" intake item).
 */
import { z } from 'zod';
import { impactOfLevel, Impact, type Contract } from '../sla/contract.js';
import { FLEET_COLLECTIONS, type DeviceRecord, type FleetDirectory } from '../fleet/fleetModel.js';
import type { Repository, Transaction } from '../storage/repository.js';
import { ReporterContact, type CustomerRef, type DeviceRef, type SiteRef, type Ticket } from '../tickets/ticket.js';
import type { ManualReport } from '../tickets/ticketOpening.js';
import { ticketStoreIn } from '../tickets/ticketRepository.js';
import type { ServiceOutcome, TicketService } from '../tickets/ticketService.js';

export const IntakeChannel = z.enum(['phone', 'email', 'form', 'portal', 'chat']);
export type IntakeChannel = z.infer<typeof IntakeChannel>;

export const DeviceSelector = z
  .strictObject({
    key: z.string().trim().min(1).max(300).optional(),
    serial: z.string().trim().min(1).max(200).optional(),
    address: z.string().trim().min(1).max(512).optional(),
  })
  .refine((d) => d.key !== undefined || d.serial !== undefined || d.address !== undefined, { message: 'name the device by key, serial or address' });
export type DeviceSelector = z.infer<typeof DeviceSelector>;

export const IntakeRequest = z.strictObject({
  customer: z.string().trim().min(1).max(128),
  device: DeviceSelector.optional(),
  subject: z.string().trim().min(1).max(500),
  description: z.string().trim().max(10_000).default(''),
  channel: IntakeChannel,
  contact: z
    .strictObject({
      name: z.string().trim().min(1).max(200).optional(),
      email: z.email().max(320).optional(),
      phone: z.string().trim().min(1).max(64).optional(),
    })
    .default({}),
  impact: Impact.optional(),
  level: z.string().trim().min(1).max(32).optional(),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
  externalRef: z.string().trim().min(1).max(998).optional(),
});
export type IntakeRequest = z.infer<typeof IntakeRequest>;

/** A customer's answer on a ticket (portal reply, e-mail reply). */
export interface CustomerMessage {
  readonly text: string;
  /** The message's own reference (an e-mail Message-ID): a reply seen again is taken once. */
  readonly externalRef?: string;
}

export type IntakeErrorCode = 'unknownCustomer' | 'unknownDevice' | 'ambiguousDevice' | 'unknownLevel';

export class IntakeError extends Error {
  constructor(
    readonly code: IntakeErrorCode,
    /** The request field at fault ("customer", "device", "level"). */
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'IntakeError';
  }
}

export interface IntakeDeps {
  /** The durable store the tickets and the fleet live in (one unit of work for both). */
  readonly repo: Repository;
  readonly tickets: TicketService;
  readonly directory: FleetDirectory;
  /** Resolves a contract id (the one in force); throws for unknown ids. */
  readonly contractFor: (id: string) => Contract;
  readonly defaultContractId: string;
}

/** The SLA deadlines a reporter is told (epoch ms; null: no guaranteed target or none running). */
export interface IntakeDeadlines {
  readonly reaction: number | null;
  readonly resolution: number | null;
}

export interface IntakeResult {
  readonly ticket: Ticket;
  /** Null: a new ticket. Else the id of the open ticket that took the report (or already held its reference). */
  readonly duplicateOf: string | null;
  readonly deadlines: IntakeDeadlines;
}

export function deadlinesOf(t: Ticket): IntakeDeadlines {
  return { reaction: t.sla.reaction.deadlineAt, resolution: t.sla.resolution?.deadlineAt ?? null };
}

/** The customer a request names, as a ticket records it; IntakeError when the fleet does not know it. */
export async function resolveCustomer(tx: Transaction, deps: Pick<IntakeDeps, 'directory' | 'defaultContractId'>, id: string): Promise<CustomerRef> {
  const configured = deps.directory.configuredCustomer(id);
  const contact = configured?.contact;
  if (configured) {
    return {
      id,
      name: configured.name,
      contact: contact
        ? {
            name: contact.name,
            ...(contact.phone !== undefined ? { phone: contact.phone } : {}),
            ...(contact.email !== undefined ? { email: contact.email } : {}),
          }
        : { name: '(no contact on file)' },
      contractId: configured.contract ?? deps.defaultContractId,
    };
  }
  // A tenant without a customer mapping is its own customer (fleetModel.ts), once one of its agents reported.
  const agents = await tx.list<{ customerId: string }>(FLEET_COLLECTIONS.agents);
  if (agents.some((a) => a.customerId === id)) return { id, name: id, contact: { name: '(no contact on file)' }, contractId: deps.defaultContractId };
  throw new IntakeError('unknownCustomer', 'customer', `no customer ${JSON.stringify(id)}`);
}

function describe(sel: DeviceSelector): string {
  return Object.entries(sel)
    .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
    .join(', ');
}

/**
 * One device of the customer matching the selector. A device of another customer answers exactly
 * like one that does not exist: the error never tells a customer what others have.
 */
export async function findCustomerDevice(tx: Transaction, customerId: string, sel: DeviceSelector): Promise<DeviceRecord> {
  const notFound = () => new IntakeError('unknownDevice', 'device', `customer ${JSON.stringify(customerId)} has no device with ${describe(sel)}`);
  const matches = (d: DeviceRecord): boolean =>
    d.customerId === customerId &&
    (sel.key === undefined || d.key === sel.key) &&
    (sel.serial === undefined || d.identity.serial?.trim().toLowerCase() === sel.serial.toLowerCase()) &&
    (sel.address === undefined || d.address === sel.address || hostOf(d.address) === sel.address);
  if (sel.key !== undefined) {
    const d = await tx.get<DeviceRecord>(FLEET_COLLECTIONS.devices, sel.key);
    if (!d || !matches(d)) throw notFound();
    return d;
  }
  const found = (await tx.list<DeviceRecord>(FLEET_COLLECTIONS.devices)).filter(matches);
  if (found.length === 0) throw notFound();
  if (found.length > 1)
    throw new IntakeError(
      'ambiguousDevice',
      'device',
      `${found.length} devices of customer ${JSON.stringify(customerId)} match ${describe(sel)}; name it by key`,
    );
  return found[0]!;
}

/** "10.0.0.5" of "10.0.0.5:161" or "ipp://10.0.0.5:631/ipp/print"; addresses are stored as the agent saw them. */
function hostOf(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  try {
    return new URL(address.includes('://') ? address : `x://${address}`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

export function deviceRefOf(d: DeviceRecord): DeviceRef {
  return {
    id: d.key,
    ...(d.identity.vendor !== undefined ? { vendor: d.identity.vendor } : {}),
    ...(d.identity.model !== undefined ? { model: d.identity.model } : {}),
    ...(d.identity.serial !== undefined ? { serial: d.identity.serial } : {}),
    ...(d.address !== undefined ? { address: d.address } : {}),
    ...(d.identity.location !== undefined ? { location: d.identity.location } : {}),
  };
}

/** The device's site; without a device, the customer's only configured site, else the customer as a whole. */
export function siteOf(deps: Pick<IntakeDeps, 'directory'>, customer: CustomerRef, device: DeviceRecord | null): SiteRef {
  const configured = deps.directory.sitesOf(customer.id);
  if (device) {
    const site = deps.directory.site(device.tenant, device.agentId);
    const address = configured.find((s) => s.id === site.id)?.address;
    return { id: site.id, name: site.name, ...(address !== undefined ? { address } : {}) };
  }
  if (configured.length === 1) return configured[0]!;
  return { id: `customer:${customer.id}`, name: `${customer.name} (site not given)` };
}

/** The report with its parties resolved, as the ticket rules take it. */
export async function resolveRequest(tx: Transaction, deps: IntakeDeps, request: IntakeRequest, by: string): Promise<ManualReport> {
  const customer = await resolveCustomer(tx, deps, request.customer);
  const device = request.device ? await findCustomerDevice(tx, customer.id, request.device) : null;
  let contract: Contract;
  try {
    contract = deps.contractFor(customer.contractId);
  } catch {
    // The ticket service opens it under the default contract (and logs why); levels are checked against that one.
    contract = deps.contractFor(deps.defaultContractId);
  }
  if (request.level !== undefined && !contract.spec.levels.some((l) => l.id === request.level)) {
    throw new IntakeError(
      'unknownLevel',
      'level',
      `contract ${contract.spec.id} has no level ${JSON.stringify(request.level)} (levels: ${contract.spec.levels.map((l) => l.id).join(', ')})`,
    );
  }
  const impact = request.impact ?? (request.level !== undefined ? impactOfLevel(contract, request.level) : 'medium');
  const reporter = ReporterContact.parse(request.contact);
  return {
    title: request.subject,
    channel: request.channel,
    customer,
    site: siteOf(deps, customer, device),
    device: device ? deviceRefOf(device) : null,
    impact,
    ...(request.level !== undefined ? { level: request.level } : {}),
    description: request.description,
    ...(request.occurredAt !== undefined ? { occurredAt: Date.parse(request.occurredAt) } : {}),
    ...(Object.keys(reporter).length > 0 ? { reporter } : {}),
    ...(request.externalRef !== undefined ? { externalRef: request.externalRef } : {}),
    by,
  };
}

/** Takes a report inside the caller's unit of work; call `deps.tickets.settle(result.outcome)` after it committed. */
export async function openManualTicketIn(
  tx: Transaction,
  deps: IntakeDeps,
  request: IntakeRequest,
  by: string,
): Promise<IntakeResult & { outcome: ServiceOutcome }> {
  const report = await resolveRequest(tx, deps, request, by);
  const out = await deps.tickets.takeReportIn(ticketStoreIn(tx), report);
  return { ticket: out.ticket, duplicateOf: out.duplicateOf, deadlines: deadlinesOf(out.ticket), outcome: out };
}

/** Takes a report in its own unit of work (REST, portal). */
export async function openManualTicket(deps: IntakeDeps, request: IntakeRequest, by: string): Promise<IntakeResult> {
  const r = await deps.repo.transaction((tx) => openManualTicketIn(tx, deps, request, by));
  deps.tickets.settle(r.outcome);
  return { ticket: r.ticket, duplicateOf: r.duplicateOf, deadlines: r.deadlines };
}

/** Records a customer's answer inside the caller's unit of work (settle the outcome after the commit). */
export async function addCustomerReplyIn(
  tx: Transaction,
  deps: Pick<IntakeDeps, 'tickets'>,
  ticketId: string,
  message: CustomerMessage,
  by: string,
): Promise<{ ticket: Ticket; outcome: ServiceOutcome }> {
  const out = await deps.tickets.actIn(ticketStoreIn(tx), ticketId, {
    type: 'customerReply',
    by,
    text: message.text,
    ...(message.externalRef !== undefined ? { externalRef: message.externalRef } : {}),
  });
  return { ticket: out.ticket, outcome: out };
}

/** Records a customer's answer in its own unit of work. */
export async function addCustomerReply(deps: Pick<IntakeDeps, 'tickets' | 'repo'>, ticketId: string, message: CustomerMessage, by: string): Promise<Ticket> {
  const r = await deps.repo.transaction((tx) => addCustomerReplyIn(tx, deps, ticketId, message, by));
  deps.tickets.settle(r.outcome);
  return r.ticket;
}
