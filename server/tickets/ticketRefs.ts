/**
 * How a ticket records the fleet's facts it was opened on: the customer (with the contract the
 * clocks run under), site, device and the evidence a technician needs, picked from a fleet event
 * (server/events/fleetEvents.ts, the one shape of a fleet change). Stored with the ticket, so it
 * keeps what was true when it happened.
 */
import type { Fault } from '../../shared/snapshot.js';
import type { CustomerContext, DeviceContext, FaultEvidence as FleetEvidence } from '../events/fleetEvents.js';
import type { CustomerRef, DeviceRef, FaultEvidence, SiteRef } from './ticket.js';

/** An event's instant in epoch ms; a broken one is an error naming it. */
export function ms(iso: string): number {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`fleet event carries an invalid instant ${JSON.stringify(iso)}`);
  return t;
}

/** Tickets key agents by tenant and agent id: agent ids are only unique within a tenant. */
export function agentKey(tenant: string, agentId: string): string {
  return `${tenant}:${agentId}`;
}

export function customerRef(c: CustomerContext, defaultContractId: string): CustomerRef {
  return {
    id: c.id,
    name: c.name,
    contact: c.contact ? { name: c.contact.name, phone: c.contact.phone, email: c.contact.email } : { name: '(no contact on file)' },
    contractId: c.contract ?? defaultContractId,
  };
}

export function deviceRef(d: DeviceContext): DeviceRef {
  return {
    id: d.deviceKey,
    vendor: d.identity.vendor,
    model: d.identity.model,
    serial: d.identity.serial,
    address: d.address,
    location: d.identity.location,
    ...(d.warrantyUntil !== undefined ? { warrantyUntil: d.warrantyUntil } : {}),
  };
}

export function siteRef(siteId: string, siteName: string): SiteRef {
  return { id: siteId, name: siteName };
}

const ALERT_SOURCES = new Set(['prtAlert', 'hrErrorState', 'ippAlert']);

/** The evidence of a fault: its own message and code, and from the snapshot excerpt state reasons, alert rows, supplies, counters. */
export function faultEvidence(fault: Fault | undefined, e: FleetEvidence | undefined, message?: string): FaultEvidence {
  return {
    message: fault?.message ?? message,
    source: fault?.source,
    rawCode: fault?.rawCode,
    stateReasons: e?.faults.filter((f) => f.source === 'ippStateReason').map((f) => f.rawCode ?? f.code),
    alerts: e?.faults
      .filter((f) => ALERT_SOURCES.has(f.source))
      .map((f) => ({
        code: f.code,
        severity: f.severity,
        source: f.source,
        message: f.message,
        rawCode: f.rawCode ?? null,
        group: f.subunit?.group ?? null,
        index: f.subunit?.index ?? null,
      })),
    supplies: e?.supplies.map((s) => ({ name: s.name, kind: s.kind, color: s.color, levelPercent: s.levelPercent, state: s.state })),
    counters: e ? { ...e.counters } : undefined,
  };
}
