/**
 * The fleet list as a store listing (repository.ts ListingRules): devices in key order, with
 * terms for the list's filters and the fields `?q=` searches, so that a filtered page (a
 * customer's token, `?customer=`, `?status=`, `?q=`) is read through the store's indexes instead
 * of a pass over every device. Pure.
 *
 * The effective status (fleetModel.ts effectiveStatus) depends on the device's agent too: the
 * entry holds the status the device would show with its agent online (`status=`) and the agent
 * (`agent=`); the query joins them with the agents online, which the route reads anyway.
 */
import type { DeviceStatus } from '../../shared/snapshot.js';
import type { ListingQuery, ListingRule, TermFilter } from '../storage/repository.js';
import type { AgentRecord, DeviceRecord } from './fleetModel.js';

/** Raise when the entry below changes (the PostgreSQL store then recomputes stored entries at open). */
const VERSION = 1;

/** Text for a search: lowercase (as `?q=` is compared), without NUL characters (PostgreSQL text holds none). */
export function searchText(s: string): string {
  return s.toLowerCase().replaceAll('\u0000', '');
}

export const DEVICE_LISTING: ListingRule = {
  version: VERSION,
  fields: ['key', 'customerId', 'siteId', 'tenant', 'agentId', 'reachable', 'status', 'faults', 'identity', 'address'],
  entryOf(value) {
    const d = value as DeviceRecord;
    const terms = [
      `customer=${d.customerId}`,
      `site=${d.siteId}`,
      `agent=${d.tenant}/${d.agentId}`,
      `status=${d.reachable ? d.status : 'unreachable'}`,
      ...new Set(d.faults.map((f) => `fault=${f.code}`)),
    ];
    const text = [d.key, d.identity.vendor, d.identity.model, d.identity.serial, d.address, d.identity.location].filter((x) => x !== undefined).map(searchText);
    return { sort: d.key, terms, text };
  },
};

export interface DeviceListFilter {
  /** A customer token's own customer (null: staff). */
  readonly scope: string | null;
  readonly customer?: string | undefined;
  readonly site?: string | undefined;
  readonly agent?: string | undefined;
  readonly status?: DeviceStatus | undefined;
  readonly fault?: string | undefined;
  readonly q?: string | undefined;
}

/** The fleet list's filters as a listing query (effective status: see the module comment). */
export function deviceListingQuery(f: DeviceListFilter, agents: readonly AgentRecord[], page: { offset: number; limit: number }): ListingQuery {
  const all: TermFilter[] = [];
  if (f.scope !== null) all.push({ anyTerm: [`customer=${f.scope}`] });
  if (f.customer !== undefined) all.push({ anyTerm: [`customer=${f.customer}`] });
  if (f.site !== undefined) all.push({ anyTerm: [`site=${f.site}`] });
  if (f.agent !== undefined) all.push({ anyTerm: [`agent=${f.agent}`] });
  if (f.fault !== undefined) all.push({ anyTerm: [`fault=${f.fault}`] });
  if (f.status !== undefined) {
    const online: TermFilter = { anyTerm: agents.filter((a) => a.state !== 'offline').map((a) => `agent=${a.key}`) };
    // Unknown: the device says so, or no agent online answers for it.
    if (f.status === 'unknown') all.push({ or: [{ anyTerm: ['status=unknown'] }, { not: online }] });
    else all.push({ all: [{ anyTerm: [`status=${f.status}`] }, online] });
  }
  return {
    ...(all.length > 0 ? { filter: { all } } : {}),
    // Lowercased only: a NUL in the search matches nothing, as no stored text holds one.
    ...(f.q !== undefined ? { contains: f.q.toLowerCase() } : {}),
    offset: page.offset,
    limit: page.limit,
  };
}
