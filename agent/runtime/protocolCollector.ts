/**
 * The runtime's Collector over the real protocol collectors: SNMP (agent/collect/snmp) for
 * host[:port] and snmp:// targets, IPP (agent/collect/ipp + agent/normalise/ipp) for ipp(s)://
 * targets; an SNMP target with an `ipp` URI is polled both ways at once and the two snapshots
 * merged (agent/normalise/merge.ts). With one side failing, the other side's snapshot is used;
 * the poll fails only when both do.
 *
 * SNMP credentials: a community in the address wins; otherwise the configured credentials are
 * tried in order, one per poll, and the one that answers is kept for that device (a device that
 * stops answering moves on to the next credential at its next poll).
 *
 * Cheap polls: the previous collection is handed to collectSnmp, which skips the alert-table walk
 * when prtAlertCriticalEvents/prtAlertAllEvents did not change. Those counters only count alerts
 * *added*; a cleared alert does not move them. So when the device's error/status objects differ
 * from the previous poll, the alert table is walked again at once, and every `FULL_WALK_EVERY`-th
 * poll walks it regardless.
 */
import type { Clock } from '../../shared/clock.js';
import type { AgentConfig, SnmpCredential } from '../agentConfig.js';
import { collectSnmp } from '../collect/snmp/collector.js';
import { column, isUnder, type RawSnmp } from '../collect/snmp/raw.js';
import { OID } from '../../mibs/oids.generated.js';
import { IppCollector, ippOptionsFromConfig } from '../collect/ipp/ippCollector.js';
import { normaliseIpp } from '../normalise/ipp/ippPrinter.js';
import { mergeSnapshots } from '../normalise/merge.js';
import type { Collector, CollectResult } from './collector.js';
import type { PollTarget } from './targets.js';

interface SnmpMemory {
  credential: number;
  previous?: RawSnmp;
  sinceFullWalk: number;
}

/** Polls between unconditional alert-table walks. */
export const FULL_WALK_EVERY = 10;

/** Status objects whose change means alerts may have been removed. */
const STATUS_COLUMNS = [OID.hrPrinterDetectedErrorState, OID.hrPrinterStatus, OID.hrDeviceStatus];

/**
 * What of a collection is kept for the next poll: the alert table, its counters and the status
 * columns. The rest (supplies, counters, identity) is read again anyway; keeping only this
 * part holds the agent at a few KB per device instead of tens.
 */
function trimForNextPoll(raw: RawSnmp): RawSnmp {
  const keep = [OID.prtAlertEntry, OID.prtAlertCriticalEvents, OID.prtAlertAllEvents, ...STATUS_COLUMNS];
  const values: Record<string, RawSnmp['values'][string]> = {};
  for (const [oid, v] of Object.entries(raw.values)) if (keep.some((k) => isUnder(oid, k))) values[oid] = v;
  return { ...raw, values };
}

function statusSignature(raw: RawSnmp): string {
  return JSON.stringify(STATUS_COLUMNS.map((c) => column(raw.values, c)));
}

export class ProtocolCollector implements Collector {
  private readonly snmpMemory = new Map<string, SnmpMemory>();
  private readonly ipp: IppCollector;

  constructor(
    private readonly config: AgentConfig,
    private readonly clock: Clock,
  ) {
    this.ipp = new IppCollector(ippOptionsFromConfig(config.ipp), clock);
  }

  async collect(target: PollTarget, signal: AbortSignal): Promise<CollectResult> {
    if (target.protocol === 'ipp') return this.collectIpp(target);
    if (target.uri === undefined || !this.config.ipp.enabled) return this.collectSnmp(target, signal);
    const [snmp, ipp] = await Promise.all([this.collectSnmp(target, signal), this.collectIpp(target)]);
    if (snmp.ok && ipp.ok) {
      const merged = mergeSnapshots(snmp.snapshot, ipp.snapshot, { assumeSameDevice: true });
      // Different devices behind one target (a print server answering IPP): trust SNMP, which names the address.
      return merged.ok ? { ok: true, snapshot: merged.snapshot } : snmp;
    }
    if (snmp.ok) return snmp;
    if (ipp.ok) return ipp;
    return { ok: false, error: `SNMP: ${snmp.error}; IPP: ${ipp.error}` };
  }

  private thresholds() {
    const t = this.config.thresholds;
    return { lowPercent: t.lowPercent, emptyPercent: 0, nearFullPercent: t.nearFullPercent, fullPercent: 100 };
  }

  private async collectSnmp(target: PollTarget, signal: AbortSignal): Promise<CollectResult> {
    const creds: readonly SnmpCredential[] = target.community !== undefined ? [{ version: '2c', community: target.community }] : this.config.snmp.credentials;
    const mem = this.snmpMemory.get(target.deviceId) ?? { credential: 0, sinceFullWalk: 0 };
    this.snmpMemory.set(target.deviceId, mem);
    const credential = creds[mem.credential % creds.length]!;
    const endpoint = {
      host: target.host,
      port: target.port,
      credential,
      timeoutMs: this.config.snmp.timeout,
      retries: this.config.snmp.retries,
      maxInFlight: this.config.snmp.maxInFlightPerDevice,
    };
    const options = { clock: this.clock, budgetMs: this.config.polling.timeout, thresholds: this.thresholds() };
    try {
      const reuse = mem.sinceFullWalk < FULL_WALK_EVERY ? mem.previous : undefined;
      let got = await collectSnmp(endpoint, reuse, options);
      if (got.raw.alertTable === 'reused' && reuse && statusSignature(got.raw) !== statusSignature(reuse) && !signal.aborted) {
        got = await collectSnmp(endpoint, undefined, options);
      }
      if (signal.aborted) return { ok: false, error: 'poll cancelled' };
      mem.sinceFullWalk = got.raw.alertTable === 'reused' ? mem.sinceFullWalk + 1 : 0;
      mem.previous = trimForNextPoll(got.raw);
      return { ok: true, snapshot: got.snapshot };
    } catch (err) {
      mem.previous = undefined;
      if (creds.length > 1) mem.credential = (mem.credential + 1) % creds.length;
      return { ok: false, error: (err as Error).message };
    }
  }

  private async collectIpp(target: PollTarget): Promise<CollectResult> {
    try {
      const got = await this.ipp.getPrinterAttributes(target.uri!);
      const { snapshot } = normaliseIpp(
        { address: target.uri!, collectedAt: new Date(this.clock.now()).toISOString(), attributes: got.attributes },
        { thresholds: this.thresholds() },
      );
      return { ok: true, snapshot };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  }

  close(): void {
    this.ipp.close();
  }
}
