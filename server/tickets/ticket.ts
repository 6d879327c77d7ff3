/**
 * The ticket record: what a good report needs (support-contracts §1/§2: reporter contact,
 * company, device, description, impact; when it occurred, evidence) plus its lifecycle, SLA
 * clocks, work and history. One schema gives the type and validates stored records.
 */
import { z } from 'zod';
import { sameFault, subunitLabel, type FaultIdentity } from '../../shared/faultIdentity.js';
import { faultLabel, FaultCodeSchema, type Language } from '../../shared/faults.js';
import { Subunit } from '../../shared/snapshot.js';
import { Impact, Matter, ReportChannel, Tier, WorkChannel } from '../sla/contract.js';
import { SlaClockState } from '../sla/slaClock.js';

export const TicketStatus = z.enum(['new', 'acknowledged', 'inProgress', 'waitingForCustomer', 'resolved', 'closed']);
export type TicketStatus = z.infer<typeof TicketStatus>;

/** Statuses in which work is outstanding. */
export const OPEN_STATUSES: ReadonlySet<TicketStatus> = new Set(['new', 'acknowledged', 'inProgress', 'waitingForCustomer']);

export const Resolution = z.enum(['byDevice', 'byTechnician', 'customerConfirmed', 'noCustomerAnswer']);
export type Resolution = z.infer<typeof Resolution>;

export const Contact = z.strictObject({
  name: z.string().max(200),
  phone: z.string().max(64).optional(),
  email: z.string().max(320).optional(),
});
export type Contact = z.infer<typeof Contact>;

/** Who reported a ticket opened by a person (server/intake): any of name, e-mail, phone. */
export const ReporterContact = z.strictObject({
  name: z.string().max(200).optional(),
  email: z.string().max(320).optional(),
  phone: z.string().max(64).optional(),
});
export type ReporterContact = z.infer<typeof ReporterContact>;

export const CustomerRef = z.strictObject({
  id: z.string().min(1).max(128),
  name: z.string().max(200),
  /** The single point of contact (§3). */
  contact: Contact,
  contractId: z.string().min(1).max(64),
});
export type CustomerRef = z.infer<typeof CustomerRef>;

export const SiteRef = z.strictObject({ id: z.string().min(1).max(128), name: z.string().max(200), address: z.string().max(500).optional() });
export type SiteRef = z.infer<typeof SiteRef>;

export const DeviceRef = z.strictObject({
  id: z.string().min(1).max(128),
  vendor: z.string().max(200).optional(),
  model: z.string().max(200).optional(),
  serial: z.string().max(200).optional(),
  address: z.string().max(512).optional(),
  location: z.string().max(512).optional(),
  /** Last day of the device's warranty (fleet.warranties): work up to that local date is not billed. */
  warrantyUntil: z.iso.date().optional(),
});
export type DeviceRef = z.infer<typeof DeviceRef>;

/** What the agent saw: printer state reasons, alert table rows, supply levels, counters. */
export const FaultEvidence = z.strictObject({
  message: z.string().max(4096).optional(),
  source: z.string().max(64).optional(),
  rawCode: z.string().max(512).optional(),
  stateReasons: z.array(z.string().max(256)).max(64).optional(),
  alerts: z
    .array(z.record(z.string(), z.union([z.string().max(1024), z.number(), z.boolean(), z.null()])))
    .max(64)
    .optional(),
  supplies: z
    .array(
      z.strictObject({
        name: z.string().max(512),
        kind: z.string().max(64),
        color: z.string().max(64).nullable(),
        levelPercent: z.number().nullable(),
        state: z.string().max(64),
      }),
    )
    .max(128)
    .optional(),
  counters: z.record(z.string(), z.number()).optional(),
});
export type FaultEvidence = z.infer<typeof FaultEvidence>;

/** One fault joined into the ticket (the first one, and related ones of the same device). */
export const TicketFault = z.strictObject({
  code: FaultCodeSchema,
  /**
   * Where on the device (shared/faultIdentity.ts): with `code` (and `rawCode`) the fault's identity.
   * Null: the device as a whole. Absent: stored before faults had subunits; such a fault stands for
   * its code on any subunit of the device, so tickets of older versions still clear and resolve.
   */
  subunit: Subunit.nullable().optional(),
  /** The device's own code of an `unclassified` fault (part of its identity). */
  rawCode: z.string().max(512).optional(),
  /** The classification rule that set this fault's impact (the ticket's impact follows its worst active fault). */
  impactRule: z.string().max(500).optional(),
  /** Device the fault belongs to (a site ticket lists several). */
  deviceId: z.string().max(128),
  firstSeen: z.number(),
  raisedAt: z.number(),
  lastRaisedAt: z.number(),
  clearedAt: z.number().nullable(),
  active: z.boolean(),
  occurrences: z.number().int().positive(),
  impact: Impact,
  evidence: FaultEvidence,
});
export type TicketFault = z.infer<typeof TicketFault>;

/** Who may read a history entry: staff only, or also the customer (server/tickets/ticketVisibility.ts). */
export const HistoryVisibility = z.enum(['internal', 'customer']);
export type HistoryVisibility = z.infer<typeof HistoryVisibility>;

export const HistoryEntry = z.strictObject({
  at: z.number(),
  /** "system" for automatic changes, else the operator's id. */
  by: z.string().max(128),
  what: z.string().max(64),
  detail: z.string().max(2000),
  /** Absent on entries stored before visibilities: the default of their kind (ticketVisibility.ts). */
  visibility: HistoryVisibility.optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

export const TimeEntry = z.strictObject({
  id: z.string().max(64),
  at: z.number(),
  by: z.string().max(128),
  channel: WorkChannel,
  /** Minutes actually worked. */
  minutes: z
    .number()
    .int()
    .positive()
    .max(24 * 60),
  note: z.string().max(2000),
});
export type TimeEntry = z.infer<typeof TimeEntry>;

export const Comment = z.strictObject({ at: z.number(), by: z.string().max(128), text: z.string().max(10_000), public: z.boolean() });
export type Comment = z.infer<typeof Comment>;

export const TicketSla = z.strictObject({
  contractId: z.string(),
  /** Version of an API-edited contract the clocks run under (absent/0 = the preset/server.yaml one): later edits do not move them. */
  contractVersion: z.number().int().nonnegative().optional(),
  level: z.string(),
  /** Which calendar the clocks use: "contract" or a coverage rule. */
  calendarName: z.string(),
  /** False when the report carries no guaranteed deadline, with the reason. */
  guaranteed: z.boolean(),
  noGuaranteeReason: z.string().max(500).nullable(),
  /** The report came in past the monthly cap: it stays without guarantee whatever changes later. */
  capExhausted: z.boolean(),
  reaction: SlaClockState,
  resolution: SlaClockState.nullable(),
  onSite: SlaClockState.nullable(),
});
export type TicketSla = z.infer<typeof TicketSla>;

/** A proactive "order supply" ticket (issue 9, supplyOrderPolicy.ts): which supply, the forecast that made it due, the evidence. */
export const SupplyOrderInfo = z.strictObject({
  supplyIndex: z.number().int(),
  partDescription: z.string().max(1024),
  kind: z.string().max(64).nullable(),
  color: z.string().max(64).nullable(),
  target: z.enum(['empty', 'full']),
  /** Point estimate of the run-out (epoch ms); for a supply already empty/full, when it was first seen so. */
  runOutAt: z.number(),
  earliest: z.number(),
  latest: z.number().nullable(),
  /** Local date of runOutAt in the contract calendar's zone; null when already reached. */
  date: z.string().max(10).nullable(),
  workingDaysLeft: z.strictObject({ estimate: z.number(), low: z.number(), high: z.number().nullable() }).nullable(),
  confidence: z.enum(['high', 'medium', 'low']).nullable(),
  method: z.enum(['levelTrend', 'pageCounter']).nullable(),
  leadTimeWorkingDays: z.number(),
  /** The forecast's evidence (method, readings, cartridge start, rate, level now…). */
  evidence: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  /** When the replacement that closed the order was seen. */
  replacedAt: z.number().nullable(),
});
export type SupplyOrderInfo = z.infer<typeof SupplyOrderInfo>;

/**
 * An on-site visit (support-contracts §4): requested on a ticket, scheduled (technician, planned
 * time), then arrival and departure recorded by the technician. The arrival clock of the visit
 * not yet arrived is `sla.onSite`; an arrival records whether it met that clock's target.
 */
export const Visit = z.strictObject({
  /** V1, V2, … per ticket. */
  id: z.string().regex(/^V\d{1,4}$/),
  requestedAt: z.number(),
  requestedBy: z.string().max(128),
  reason: z.string().max(2000),
  technician: z.string().max(128).nullable(),
  plannedAt: z.number().nullable(),
  arrivedAt: z.number().nullable(),
  /** The arrival deadline in force when the technician arrived (null: no target in the contract). */
  arrivalDueAt: z.number().nullable(),
  /** Arrived before the deadline; null until the arrival, or when there was no target. */
  arrivalMet: z.boolean().nullable(),
  departedAt: z.number().nullable(),
  /** What the technician did on site (the departure note). */
  workDone: z.string().max(10_000).nullable(),
});
export type Visit = z.infer<typeof Visit>;

export const Ticket = z.strictObject({
  id: z.string().min(1).max(64),
  kind: z.enum(['device', 'site']),
  /** What the ticket was opened for: device id + the first fault's key for device tickets, agent id for site tickets. */
  key: z.string().max(300),
  title: z.string().max(500),
  status: TicketStatus,
  resolution: Resolution.nullable(),
  tier: Tier,
  assignee: z.string().max(128).nullable(),
  queue: z.string().max(64),
  channel: ReportChannel,
  customer: CustomerRef,
  site: SiteRef,
  agentId: z.string().max(128),
  device: DeviceRef.nullable(),
  /** Devices affected (site tickets). */
  affectedDevices: z.array(z.string().max(128)).max(10_000),
  faults: z.array(TicketFault).max(256),
  impact: Impact,
  /** The classification rule that set the impact (or "manual: <who>"). */
  impactRule: z.string().max(500),
  openedAt: z.number(),
  firstSeen: z.number(),
  firstResponseAt: z.number().nullable(),
  /** All faults cleared at this instant; resolved by device after the quiet period unless one returns. */
  quietSince: z.number().nullable(),
  resolvedAt: z.number().nullable(),
  closedAt: z.number().nullable(),
  reopenCount: z.number().int().nonnegative(),
  escalations: z.number().int().nonnegative(),
  waiting: z.strictObject({ since: z.number(), attempts: z.array(z.number()) }).nullable(),
  /** Ever waited for the customer (for first-contact resolution). */
  waitedForCustomer: z.boolean(),
  sla: TicketSla,
  comments: z.array(Comment).max(10_000),
  timeEntries: z.array(TimeEntry).max(10_000),
  history: z.array(HistoryEntry).max(100_000),
  /** Optimistic concurrency: bumped on every save. */
  revision: z.number().int().nonnegative(),
  /** The person who reported it (tickets opened by intake: phone, e-mail, form, portal, chat). */
  reporter: ReporterContact.optional(),
  /**
   * References of the reports and replies joined into the ticket (e-mail Message-IDs): a report
   * or reply seen again is recognised and taken once; e-mail replies thread by them.
   */
  externalRefs: z.array(z.string().min(1).max(998)).max(1000).optional(),
  /** Escalation notices sent (contract `escalation`): each kind once per clock. */
  escalationNotices: z
    .array(z.strictObject({ clock: z.enum(['reaction', 'resolution', 'onSite']), kind: z.enum(['warning', 'breach']), at: z.number(), deadlineAt: z.number() }))
    .max(64)
    .optional(),
  /** Bug or support matter (the monthly cap counts support only); absent = support. */
  matter: Matter.optional(),
  /** On-site visits, oldest first (absent on tickets stored before visits were recorded). */
  visits: z.array(Visit).max(100).optional(),
  /** Set on proactive "order supply" tickets only. */
  supplyOrder: SupplyOrderInfo.optional(),
});
export type Ticket = z.infer<typeof Ticket>;

export function isOpen(t: Ticket): boolean {
  return OPEN_STATUSES.has(t.status);
}

/** A ticket fault's identity in the one shape of shared/faultIdentity.ts. */
export function ticketFaultIdentity(f: TicketFault): FaultIdentity {
  return { code: f.code, ...(f.subunit ? { subunit: f.subunit } : {}), ...(f.rawCode !== undefined ? { rawCode: f.rawCode } : {}) };
}

/** Whether the ticket's fault `f` is the fault `id` of device `deviceId` (a fault stored before subunits matches its code on any subunit). */
export function isFault(f: TicketFault, deviceId: string, id: FaultIdentity): boolean {
  if (f.deviceId !== deviceId) return false;
  if (f.subunit === undefined) return f.code === id.code;
  return sameFault(ticketFaultIdentity(f), id);
}

/** A technician's name for a fault: "Toner empty — Magenta Cartridge", or the fault alone for a device-level one. */
export function ticketFaultLabel(f: Pick<TicketFault, 'code' | 'subunit'>, lang: Language): string {
  const where = subunitLabel(f.subunit ?? undefined, lang);
  return where === null ? faultLabel(f.code, lang) : `${faultLabel(f.code, lang)} — ${where}`;
}
