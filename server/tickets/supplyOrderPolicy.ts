/**
 * Ticket rules for proactive supply orders, pure (issue 9). The forecast side decides *whether*
 * an order is due (forecast/proactiveOrders.ts decideSupplyOrder); these rules turn that into
 * tickets through the same engine as faults (numbering, contract, SLA clocks, queue, history):
 *
 *   supply.orderDue   opens one low-impact "order supply" ticket per supply key
 *                     ("order:<deviceId>/supply/<index>"); never a second one while one is open
 *                     (or resolved and not yet closed)
 *   supply.replaced   the supply was replaced: its order ticket is resolved by the device and
 *                     closed at once (the replacement is the proof the order was fulfilled)
 *
 * The ticket carries the supply, its part description, the forecast (date, range, confidence,
 * method) and the evidence, in `supplyOrder` and as the evidence of its one `supply.order` fault.
 */
import { orderKey, orderTitle, type SupplyOrderDraft } from '../forecast/proactiveOrders.js';
import type { CustomerRef, DeviceRef, SiteRef, SupplyOrderInfo, Ticket } from './ticket.js';
import { faultOf, openTicket } from './ticketOpening.js';
import { log, resolve, SYSTEM, type NoticeDraft, type PolicyContext, type PolicyOutcome } from './ticketPolicy.js';

export interface SupplyOrderDueSignal {
  readonly kind: 'supply.orderDue';
  readonly at: number;
  readonly agentId: string;
  readonly customer: CustomerRef;
  readonly site: SiteRef;
  readonly device: DeviceRef;
  readonly draft: SupplyOrderDraft;
  /** Current level of the supply, for the evidence (null without a number). */
  readonly levelPercent: number | null;
  readonly state: string;
}

export interface SupplyReplacedSignal {
  readonly kind: 'supply.replaced';
  readonly at: number;
  readonly deviceId: string;
  readonly supplyIndex: number;
  readonly replacedAt: number;
}

export type SupplySignal = SupplyOrderDueSignal | SupplyReplacedSignal;

export function supplyOrderTicketKey(deviceId: string, supplyIndex: number): string {
  return `order:${orderKey({ deviceId, supplyIndex })}`;
}

/** The order ticket key a supply signal is about. */
export function supplySignalKey(s: SupplySignal): string {
  return s.kind === 'supply.orderDue'
    ? supplyOrderTicketKey(s.draft.supply.deviceId, s.draft.supply.supplyIndex)
    : supplyOrderTicketKey(s.deviceId, s.supplyIndex);
}

/** Which tickets a supply signal concerns: those with its key that are not closed. */
export function concernsSupply(t: Ticket, s: SupplySignal): boolean {
  return t.key === supplySignalKey(s) && t.status !== 'closed';
}

function evidenceRecord(e: object): SupplyOrderInfo['evidence'] {
  const out: SupplyOrderInfo['evidence'] = {};
  for (const [k, v] of Object.entries(e) as Array<[string, unknown]>) {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') out[k] = v;
    else if (typeof v === 'number' && Number.isFinite(v)) out[k] = Math.round(v * 1000) / 1000;
  }
  return out;
}

export function supplyOrderInfo(draft: SupplyOrderDraft): SupplyOrderInfo {
  const f = draft.forecast;
  return {
    supplyIndex: draft.supply.supplyIndex,
    partDescription: draft.supply.partDescription.slice(0, 1024),
    kind: draft.supply.kind ?? null,
    color: draft.supply.color ?? null,
    target: f.target,
    runOutAt: f.runOutAt,
    earliest: f.earliest,
    latest: f.latest,
    date: f.date,
    workingDaysLeft: f.workingDaysLeft,
    confidence: f.confidence,
    method: f.method,
    leadTimeWorkingDays: draft.leadTimeWorkingDays,
    evidence: evidenceRecord(draft.evidence),
    replacedAt: null,
  };
}

export function applySupplySignal(signal: SupplySignal, tickets: readonly Ticket[], ctx: PolicyContext): PolicyOutcome {
  return signal.kind === 'supply.orderDue' ? orderDue(signal, tickets, ctx) : replaced(signal, tickets, ctx);
}

function orderDue(s: SupplyOrderDueSignal, tickets: readonly Ticket[], ctx: PolicyContext): PolicyOutcome {
  const key = supplySignalKey(s);
  // Once per cartridge: an order that is not closed yet is the order.
  if (tickets.some((t) => concernsSupply(t, s))) return { tickets: [], notices: [] };
  const info = supplyOrderInfo(s.draft);
  const { ticket, notice } = openTicket(
    {
      kind: 'device',
      key,
      title: orderTitle(s.draft, `${s.device.model ?? s.device.id} at ${s.site.name}`),
      channel: 'monitoring',
      customer: s.customer,
      site: s.site,
      agentId: s.agentId,
      device: s.device,
      affectedDevices: [s.device.id],
      fault: faultOf(
        {
          code: 'supply.order',
          subunit: { group: 'markerSupplies', index: s.draft.supply.supplyIndex, name: s.draft.supply.partDescription.slice(0, 512) },
          firstSeen: ctx.now,
          impact: 'low',
          evidence: {
            message: s.draft.description.slice(0, 4096),
            source: 'forecast',
            supplies: [
              {
                name: s.draft.supply.partDescription.slice(0, 512),
                kind: s.draft.supply.kind ?? 'other',
                color: s.draft.supply.color ?? null,
                levelPercent: s.levelPercent,
                state: s.state,
              },
            ],
          },
        },
        s.device.id,
        ctx.now,
      ),
      impact: 'low',
      impactRule: `forecast: ${s.draft.forecast.target === 'empty' ? 'runs out' : 'full'} within the order lead time of ${s.draft.leadTimeWorkingDays} working days`,
      firstSeen: ctx.now,
      by: SYSTEM,
    },
    ctx,
  );
  return { tickets: [{ ...ticket, supplyOrder: info }], notices: [notice] };
}

function replaced(s: SupplyReplacedSignal, tickets: readonly Ticket[], ctx: PolicyContext): PolicyOutcome {
  const out: Ticket[] = [];
  const notices: NoticeDraft[] = [];
  for (const t of tickets) {
    if (!concernsSupply(t, s)) continue;
    const why = `supply replaced at ${new Date(s.replacedAt).toISOString()}: order fulfilled`;
    const cleared: Ticket = {
      ...t,
      faults: t.faults.map((f) => (f.active ? { ...f, active: false, clearedAt: s.replacedAt } : f)),
      supplyOrder: t.supplyOrder ? { ...t.supplyOrder, replacedAt: s.replacedAt } : t.supplyOrder,
    };
    const r = t.status === 'resolved' ? { ticket: cleared, notices: [] as NoticeDraft[] } : resolve(cleared, ctx, SYSTEM, 'byDevice', why);
    const closed = log({ ...r.ticket, status: 'closed', closedAt: ctx.now }, ctx.now, SYSTEM, 'closed', why);
    out.push(closed);
    notices.push(...r.notices, { kind: 'ticket.closed', ticketId: t.id, at: ctx.now, detail: why });
  }
  return { tickets: out, notices };
}
