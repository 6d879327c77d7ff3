/**
 * Proactive supply orders: should an "order supply" ticket be opened, kept or closed for a supply?
 *
 * Interface for the ticket wiring (pure; the caller stores orders and turns drafts into tickets):
 *
 *   decideSupplyOrder({ supply, forecast, policy, existing, now }) → SupplyOrderDecision
 *     supply:   SupplyIdentity  { deviceId, supplyIndex, partDescription, kind?, color? }
 *     forecast: SupplyForecast  from forecastSupply() over this supply's history at `now`
 *     policy:   OrderPolicy     { leadTimeWorkingDays (contract, e.g. 5), safetyWorkingDays? (default 0) }
 *     existing: SupplyOrderRecord | null — the most recent order ticket for this supply
 *               { status: 'open' | 'closed', openedAt, ticketId? }, open or closed
 *   SupplyOrderDecision:
 *     { action: 'open',  draft }       open one low-impact ticket from `draft` (SupplyOrderDraft)
 *     { action: 'keep',  reason }      an order is open for this cartridge: do nothing (never a second one)
 *     { action: 'close', replacedAt }  the supply was replaced after the order was opened: close it
 *     { action: 'none',  reason }      nothing due (not due yet, already ordered for this cartridge, no forecast)
 *   The ticket key is `draft.key` = "<deviceId>/supply/<supplyIndex>": at most one open order per key.
 *
 * Rules:
 *   - Due when the forecast's *early* bound (`workingDaysLeft.low`, about p10) is within lead time +
 *     safety, or the supply already reports empty/full. Using the early bound is what keeps the
 *     order ahead of the real run-out when usage is regular (docs/forecasting.md, evaluation).
 *   - Once per cartridge: a cartridge is identified by "no replacement seen since the order was
 *     opened". A closed order blocks a new one until a replacement is observed (the technician who
 *     closed it knows best); an open order is closed as soon as a replacement is observed.
 *   - A shaken cartridge's blip is not a replacement (usageModel.splitCartridges), so it neither
 *     closes the order nor allows a second one.
 */
import type { SupplyKind } from '../../shared/snapshot.js';
import type { Confidence, ForecastEvidence, ForecastMethod, ForecastTarget, SupplyForecast } from './supplyForecast.js';

export interface SupplyIdentity {
  deviceId: string;
  /** prtMarkerSuppliesIndex / IPP marker position, as in DeviceSnapshot.supplies[].index. */
  supplyIndex: number;
  /** What to order: part number or the device's description ("Black Toner Cartridge HP 410A CF410A"). */
  partDescription: string;
  kind?: SupplyKind;
  color?: string | null;
}

export interface OrderPolicy {
  /** Working days from ordering to the cartridge being on site (contract term). */
  leadTimeWorkingDays: number;
  /** Extra working days of margin on top of the lead time. Default 0. */
  safetyWorkingDays?: number;
}

export interface SupplyOrderRecord {
  status: 'open' | 'closed';
  /** When the order ticket was opened. */
  openedAt: number;
  ticketId?: string;
}

export interface SupplyOrderDraft {
  /** Deduplication key of the order ticket. */
  key: string;
  supply: SupplyIdentity;
  impact: 'low';
  title: string;
  description: string;
  /** Why now: the forecast (or the device already reporting empty/full). */
  forecast: {
    target: ForecastTarget;
    /** Point estimate of the run-out; for an already empty supply, when it was first seen empty. */
    runOutAt: number;
    earliest: number;
    latest: number | null;
    /** Local date of runOutAt. */
    date: string | null;
    workingDaysLeft: { estimate: number; low: number; high: number | null } | null;
    confidence: Confidence | null;
    method: ForecastMethod | null;
  };
  evidence: ForecastEvidence;
  leadTimeWorkingDays: number;
  decidedAt: number;
}

export type SupplyOrderDecision =
  | { action: 'open'; draft: SupplyOrderDraft }
  | { action: 'keep'; reason: 'orderOpen' }
  | { action: 'close'; reason: 'replaced'; replacedAt: number }
  | { action: 'none'; reason: 'notDue' | 'alreadyOrderedForThisCartridge' | 'noForecast' };

export interface SupplyOrderInput {
  supply: SupplyIdentity;
  forecast: SupplyForecast;
  policy: OrderPolicy;
  existing: SupplyOrderRecord | null;
  now: number;
}

export function orderKey(supply: Pick<SupplyIdentity, 'deviceId' | 'supplyIndex'>): string {
  return `${supply.deviceId}/supply/${supply.supplyIndex}`;
}

export function decideSupplyOrder(input: SupplyOrderInput): SupplyOrderDecision {
  const { supply, forecast, policy, existing } = input;
  const lead = policy.leadTimeWorkingDays;
  const safety = policy.safetyWorkingDays ?? 0;
  if (!(Number.isFinite(lead) && lead >= 0) || !(Number.isFinite(safety) && safety >= 0)) {
    throw new Error(
      `supply order policy for ${orderKey(supply)}: expected non-negative working days, got leadTimeWorkingDays=${lead}, safetyWorkingDays=${safety}`,
    );
  }
  const replacedAt = forecast.evidence.replacedAt;
  const replacedSinceOrder = existing !== null && replacedAt !== null && replacedAt > existing.openedAt;
  if (existing?.status === 'open') {
    return replacedSinceOrder && replacedAt !== null ? { action: 'close', reason: 'replaced', replacedAt } : { action: 'keep', reason: 'orderOpen' };
  }
  if (existing?.status === 'closed' && !replacedSinceOrder) return { action: 'none', reason: 'alreadyOrderedForThisCartridge' };

  if (forecast.status === 'reached') {
    return {
      action: 'open',
      draft: draft(input, {
        target: forecast.target,
        runOutAt: forecast.since,
        earliest: forecast.since,
        latest: forecast.since,
        date: null,
        workingDaysLeft: null,
        confidence: null,
        method: forecast.evidence.method,
      }),
    };
  }
  if (forecast.status !== 'forecast') return { action: 'none', reason: forecast.status === 'distant' ? 'notDue' : 'noForecast' };
  if (forecast.workingDaysLeft.low > lead + safety) return { action: 'none', reason: 'notDue' };
  return {
    action: 'open',
    draft: draft(input, {
      target: forecast.target,
      runOutAt: forecast.at,
      earliest: forecast.earliest,
      latest: forecast.latest,
      date: forecast.date,
      workingDaysLeft: forecast.workingDaysLeft,
      confidence: forecast.confidence,
      method: forecast.evidence.method,
    }),
  };
}

function partOf(supply: Pick<SupplyIdentity, 'partDescription' | 'supplyIndex'>): string {
  return supply.partDescription.trim() === '' ? `supply #${supply.supplyIndex}` : supply.partDescription;
}

/**
 * An order ticket's title: what to order and for which device, as a dispatcher reads it
 * ("Order Black Toner (CF259A) for LaserJet M507 at Warszawa, ul. Prosta 20"). `device` is the
 * device's model and site where the ticket is opened; the draft alone knows only the device id.
 */
export function orderTitle(draft: Pick<SupplyOrderDraft, 'supply' | 'forecast'>, device: string): string {
  const action = draft.forecast.target === 'empty' ? 'Order' : 'Order a replacement for';
  return `${action} ${partOf(draft.supply)} for ${device}`;
}

function draft(input: SupplyOrderInput, forecast: SupplyOrderDraft['forecast']): SupplyOrderDraft {
  const { supply, policy, now } = input;
  const verb = forecast.target === 'empty' ? 'runs out' : 'is full';
  const part = partOf(supply);
  const when =
    forecast.workingDaysLeft === null
      ? `already reported ${forecast.target} since ${new Date(forecast.runOutAt).toISOString()}`
      : `${verb} in about ${Math.round(forecast.workingDaysLeft.estimate)} working days (around ${forecast.date}; range ${new Date(forecast.earliest).toISOString().slice(0, 10)} – ${forecast.latest === null ? 'open' : new Date(forecast.latest).toISOString().slice(0, 10)}, ${forecast.confidence ?? 'unknown'} confidence, by ${forecast.method === 'pageCounter' ? 'page counter' : 'level trend'})`;
  return {
    key: orderKey(supply),
    supply,
    impact: 'low',
    title: orderTitle({ supply, forecast }, `device ${supply.deviceId}`),
    description: `${part} ${when}. Lead time ${policy.leadTimeWorkingDays} working days.`,
    forecast,
    evidence: input.forecast.evidence,
    leadTimeWorkingDays: policy.leadTimeWorkingDays,
    decidedAt: now,
  };
}
