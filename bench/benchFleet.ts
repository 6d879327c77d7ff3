/**
 * The synthetic fleet of the API benchmarks (apiLatency.ts, apiPages.ts): device records and
 * "paper jam" tickets made as the product makes them, so both benches measure the same shapes.
 */
import type { DeviceRecord } from '../server/fleet/fleetModel.js';
import type { ContractCatalogue } from '../server/sla/contractCatalogue.js';
import type { Ticket } from '../server/tickets/ticket.js';
import { openReportedTicket } from '../server/tickets/ticketOpening.js';
import { DEFAULT_POLICY } from '../server/tickets/ticketPolicy.js';

export interface BenchPlacement {
  readonly tenant: string;
  readonly customerId: string;
  readonly siteId: string;
  readonly agentId: string;
}

/** Device number `d`: four toners at levels that differ by device, a total counter; `jammed` adds a jam. */
export function benchDevice(d: number, place: BenchPlacement, iso: string, jammed = false): DeviceRecord {
  return {
    key: `${place.tenant}/sn:sn${d}`,
    tenant: place.tenant,
    customerId: place.customerId,
    siteId: place.siteId,
    agentId: place.agentId,
    agentDeviceId: `p${d}`,
    identity: { vendor: ['HP', 'Canon', 'Brother', 'Epson'][d % 4]!, model: `Model ${d % 37}`, serial: `SN${d}` },
    address: `10.${(d >> 16) & 255}.${(d >> 8) & 255}.${d & 255}`,
    protocols: ['snmp'],
    status: jammed ? 'down' : 'idle',
    reachable: true,
    faults: jammed ? [{ code: 'jam', severity: 'critical', source: 'prtAlert', message: 'paper jam', firstSeen: iso }] : [],
    supplies: ['black', 'cyan', 'magenta', 'yellow'].map((color, i) => ({
      index: i + 1,
      name: `${color} toner`,
      kind: 'toner' as const,
      color,
      levelPercent: (d * 7 + i * 13) % 100,
      state: 'ok' as const,
      raw: { level: (d * 7 + i * 13) % 100, max: 100, unit: 19, class: 3, type: 3 },
    })),
    inputs: [],
    counters: { total: 10_000 + d },
    collectedAt: iso,
    firstSeen: iso,
    lastSeen: iso,
  };
}

const IMPACTS = ['critical', 'high', 'medium', 'low'] as const;

/** Ticket number `i + 1`, a reported paper jam on `d` opened at `now` under the device-vendor preset. */
export function benchJamTicket(d: DeviceRecord, i: number, now: number, contracts: ContractCatalogue): Ticket {
  const out = openReportedTicket(
    {
      title: `Jam on ${d.identity.model ?? ''}`,
      channel: 'monitoring',
      customer: { id: d.customerId, name: d.customerId, contact: { name: 'Contact' }, contractId: 'device-vendor' },
      site: { id: d.siteId, name: d.siteId },
      device: { id: d.key, vendor: d.identity.vendor, model: d.identity.model, serial: d.identity.serial },
      impact: IMPACTS[i % 4]!,
      description: 'paper jam in tray 2',
      by: 'bench',
    },
    {
      now,
      config: DEFAULT_POLICY,
      contractFor: (id) => contracts.get(id),
      capUsedMinutes: 0,
      defaultContractId: 'device-vendor',
      newTicketId: () => `T${String(i + 1).padStart(6, '0')}`,
    },
  );
  return out.tickets[0]!;
}
