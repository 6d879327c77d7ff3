/**
 * Who may do what (pure). Roles:
 *   admin       everything, including agent credentials, API tokens and editing contracts/impact rules
 *   dispatcher  all tickets of the vendor (read and act), the intake queue, fleet, reports, contracts, impact rules,
 *               the notification delivery log and test messages (also admin)
 *   technician  tickets assigned to them and the unassigned ones in the queues (read and act),
 *               fleet, contracts and impact rules (read)
 *   customer    its own customer's devices, agents, sites, tickets and reports (read); reports
 *               problems on its own devices, replies on its tickets, confirms solutions
 * Reporting a ticket (`tickets:report`: POST /tickets, replies, confirming a solution): admin,
 * dispatcher and customer; the technician works tickets, the desk takes the reports. Corrections
 * (`tickets:triage`: impact, contract, queue, device, customer): admin and dispatcher.
 * A customer token is confined to its customer by `customerScope`; every route that returns
 * customer data filters with it (tested route by route in test/unit/api/authMatrix.test.ts).
 */
import type { Ticket } from '../tickets/ticket.js';
import { customerView } from '../tickets/ticketVisibility.js';
import type { ApiRole, Principal } from './apiTokens.js';

export type Permission =
  | 'fleet:read'
  | 'tickets:read'
  | 'tickets:act'
  | 'tickets:report'
  | 'tickets:triage'
  | 'reports:read'
  | 'contracts:read'
  | 'impact:read'
  | 'rules:validate'
  | 'credentials:manage'
  | 'catalogue:edit'
  | 'catalogue:history'
  | 'tokens:manage'
  | 'events:read'
  | 'notifications:read'
  | 'notifications:test'
  | 'meters:enter'
  | 'meters:confirm'
  /** The intake queue: reports from anyone (unknown senders), so vendor staff only. */
  | 'intake:manage';

const ROLE_PERMISSIONS: Readonly<Record<ApiRole, ReadonlySet<Permission>>> = {
  // Changing contracts and rules (commercial terms) and managing API tokens: admin only.
  admin: new Set<Permission>([
    'fleet:read',
    'tickets:read',
    'tickets:act',
    'tickets:report',
    'tickets:triage',
    'reports:read',
    'contracts:read',
    'impact:read',
    'rules:validate',
    'credentials:manage',
    'catalogue:edit',
    'catalogue:history',
    'tokens:manage',
    'events:read',
    'notifications:read',
    'notifications:test',
    'meters:enter',
    'meters:confirm',
    'intake:manage',
  ]),
  dispatcher: new Set<Permission>([
    'fleet:read',
    'tickets:read',
    'tickets:act',
    'tickets:report',
    'tickets:triage',
    'reports:read',
    'contracts:read',
    'impact:read',
    'rules:validate',
    'catalogue:history',
    'events:read',
    'notifications:read',
    'notifications:test',
    'meters:enter',
    'intake:manage',
  ]),
  // A technician reads the panel on site (manual meter entry); the customer confirms the period's reading.
  technician: new Set<Permission>(['fleet:read', 'tickets:read', 'tickets:act', 'contracts:read', 'impact:read', 'events:read', 'meters:enter']),
  // Contracts and impact rules are vendor-wide (other customers' terms and prices): not for customers.
  customer: new Set<Permission>(['fleet:read', 'tickets:read', 'tickets:report', 'reports:read', 'events:read', 'meters:confirm']),
};

export function can(p: Principal, permission: Permission): boolean {
  return ROLE_PERMISSIONS[p.role].has(permission);
}

/** The only customer a principal may see, or null for all. */
export function customerScope(p: Principal): string | null {
  return p.role === 'customer' ? p.customerId : null;
}

export function canSeeCustomer(p: Principal, customerId: string): boolean {
  const scope = customerScope(p);
  return scope === null || scope === customerId;
}

/** Ticket visibility: customer → own customer's; technician → assigned to them or unassigned. */
export function canSeeTicket(p: Principal, t: Pick<Ticket, 'customer' | 'assignee'>): boolean {
  switch (p.role) {
    case 'admin':
    case 'dispatcher':
      return true;
    case 'technician':
      return t.assignee === null || t.assignee === p.name;
    case 'customer':
      return t.customer.id === p.customerId;
  }
}

/** A technician may take a ticket or give it back, not hand it to someone else. */
export function canAssign(p: Principal, t: Pick<Ticket, 'assignee'>, assignee: string | null): boolean {
  if (p.role === 'admin' || p.role === 'dispatcher') return true;
  if (p.role !== 'technician') return false;
  return assignee === p.name || (assignee === null && t.assignee === p.name);
}

/** What a principal sees of a ticket: customers do not see internal notes or internal history (ticketVisibility.ts). */
export function ticketViewFor<T extends Pick<Ticket, 'comments' | 'history'>>(p: Principal, t: T): T {
  return p.role === 'customer' ? customerView(t) : t;
}
