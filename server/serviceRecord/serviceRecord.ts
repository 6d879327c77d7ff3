/**
 * A device's service record, what a technician opens before a visit (pure): its tickets with
 * their outcome, faults per month (jams apart), each supply's cartridges with the pages printed on
 * them (against the rated yield where the device reports its capacity in impressions), the parts
 * that wear (drum, fuser, transfer, maintenance kit, developer) with their level and forecast,
 * firmware and identity events, and the page counters by type over time. Everything comes from
 * records other modules keep (tickets, device history, meters); nothing here is stored.
 */
import { ENUMS } from '../../mibs/oids.generated.js';
import type { Supply, SupplyKind } from '../../shared/snapshot.js';
import type { FirmwareChange } from '../history/deviceHistory.js';
import type { MeterDeviceEvent } from '../meters/meterLedger.js';
import type { Resolution, TicketStatus } from '../tickets/ticket.js';

export interface ServiceTicket {
  readonly id: string;
  readonly title: string;
  readonly status: TicketStatus;
  readonly resolution: Resolution | null;
  readonly openedAt: number;
  readonly resolvedAt: number | null;
  readonly closedAt: number | null;
}

export interface FaultRaised {
  readonly at: number;
  readonly code: string;
}

export interface CartridgeInput {
  readonly supply: Supply;
  /** Instants a new cartridge started (history cuts), oldest first. */
  readonly cuts: readonly number[];
}

export interface ServiceRecordInput {
  readonly tickets: readonly ServiceTicket[];
  readonly faults: readonly FaultRaised[];
  readonly cartridges: readonly CartridgeInput[];
  /** Page counter readings (total), oldest first. */
  readonly pages: ReadonlyArray<{ readonly at: number; readonly pages: number }>;
  readonly now: number;
  /** UTC month of an instant ("YYYY-MM"); the caller's calendar. */
  readonly monthOf: (at: number) => string;
}

export interface Cartridge {
  readonly supplyIndex: number;
  readonly name: string;
  readonly since: number;
  readonly until: number | null;
  /** Pages printed while it was in (null: no page count around its start or end). */
  readonly pages: number | null;
  /** Rated yield in impressions when the device reports the capacity in impressions. */
  readonly ratedPages: number | null;
  /** pages / ratedPages, rounded to 0.01. */
  readonly yieldShare: number | null;
}

export const WEAR_PARTS: ReadonlySet<SupplyKind> = new Set<SupplyKind>(['drum', 'fuser', 'transfer', 'maintenance', 'developer']);

/** The page count at an instant: the first reading at or after it (a cut is pinned with a counter point). */
function pagesAt(pages: ServiceRecordInput['pages'], at: number): number | null {
  for (const p of pages) if (p.at >= at) return p.pages;
  return null;
}

export function cartridges(input: Pick<ServiceRecordInput, 'cartridges' | 'pages'>): Cartridge[] {
  const out: Cartridge[] = [];
  const last = input.pages[input.pages.length - 1]?.pages ?? null;
  for (const { supply, cuts } of input.cartridges) {
    const rated = supply.raw.unit === ENUMS.PrtMarkerSuppliesSupplyUnitTC.impressions && supply.raw.max !== null && supply.raw.max > 0 ? supply.raw.max : null;
    cuts.forEach((since, i) => {
      const until = cuts[i + 1] ?? null;
      const start = pagesAt(input.pages, since);
      const end = until === null ? last : pagesAt(input.pages, until);
      const pages = start !== null && end !== null && end >= start ? end - start : null;
      out.push({
        supplyIndex: supply.index,
        name: supply.name,
        since,
        until,
        pages,
        ratedPages: rated,
        yieldShare: pages !== null && rated !== null ? Math.round((pages / rated) * 100) / 100 : null,
      });
    });
  }
  return out;
}

/** Raised faults per month: jams apart from everything else, per code. */
export function faultsPerMonth(input: Pick<ServiceRecordInput, 'faults' | 'monthOf'>): Array<{ month: string; jams: number; byCode: Record<string, number> }> {
  const months = new Map<string, { jams: number; byCode: Record<string, number> }>();
  for (const f of input.faults) {
    const m = input.monthOf(f.at);
    const row = months.get(m) ?? { jams: 0, byCode: {} };
    if (f.code === 'jam') row.jams += 1;
    row.byCode[f.code] = (row.byCode[f.code] ?? 0) + 1;
    months.set(m, row);
  }
  return [...months.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([month, r]) => ({ month, ...r }));
}

export interface DeviceEvent {
  readonly at: number;
  readonly kind: 'firmware' | MeterDeviceEvent['kind'];
  readonly detail: string;
  readonly from: string | null;
  readonly to: string | null;
}

/** The device's events, oldest first: firmware changes (device history) and identity events (meter ledger). */
export function deviceEvents(firmware: readonly FirmwareChange[], meter: readonly MeterDeviceEvent[]): DeviceEvent[] {
  return [
    ...firmware.map((f): DeviceEvent => ({ at: f.at, kind: 'firmware', detail: `firmware ${f.from} → ${f.to}`, from: f.from, to: f.to })),
    ...meter.map((e): DeviceEvent => ({ at: e.at, kind: e.kind, detail: e.detail, from: e.from ?? null, to: e.to ?? null })),
  ].sort((a, b) => a.at - b.at);
}
