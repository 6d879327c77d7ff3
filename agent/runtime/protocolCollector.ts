/**
 * The runtime's Collector over the real protocol collectors, each collect → normalise: SNMP
 * (agent/collect/snmp + agent/normalise/snmpSnapshot.ts) for host[:port] and snmp:// targets,
 * IPP (agent/collect/ipp + agent/normalise/ipp) for ipp(s)://
 * targets; an SNMP target with an `ipp` URI is polled both ways at once and the two snapshots
 * merged (agent/normalise/merge.ts). With one side failing, the other side's snapshot is used;
 * the poll fails only when both do.
 *
 * SNMP credentials: a community in the address wins; otherwise the configured credentials are
 * tried in order, one per poll, and the one that answers is kept for that device (a device that
 * stops answering moves on to the next credential at its next poll).
 *
 * Cheap polls: the trimmed previous collection (`retainForNextPoll`) is handed to collectSnmp,
 * which decides itself when the alert rows can be reused (counters, status objects, a probe
 * column and an age bound; see agent/collect/snmp/collector.ts) and sizes its GETBULKs from it.
 */
import type { Clock } from '../../shared/clock.js';
import type { AgentConfig, SnmpCredential } from '../agentConfig.js';
import { collectSnmp, retainForNextPoll } from '../collect/snmp/collector.js';
import type { RawSnmp } from '../collect/snmp/raw.js';
import { openSession, type SnmpEndpoint, type SnmpTransport } from '../collect/snmp/session.js';
import { IppCollector, ippOptionsFromConfig } from '../collect/ipp/ippCollector.js';
import { normaliseIpp } from '../normalise/ipp/ippPrinter.js';
import { mergeSnapshots } from '../normalise/merge.js';
import { normaliseSnmp } from '../normalise/snmpSnapshot.js';
import type { Collector, CollectResult } from './collector.js';
import type { PollTarget } from './targets.js';

interface SnmpMemory {
  credential: number;
  previous?: RawSnmp;
}

/**
 * Open SNMP sessions (one UDP socket each) kept between polls, least recently used first out:
 * reusing a session saves creating, binding and closing a socket per poll (and SNMPv3 engine
 * discovery). Bounded so that a large fleet does not hold one file descriptor per device.
 */
export const MAX_OPEN_SNMP_SESSIONS = 1024;

export class ProtocolCollector implements Collector {
  private readonly snmpMemory = new Map<string, SnmpMemory>();
  /** deviceId -> open session; Map order is the LRU order. */
  private readonly sessions = new Map<string, { key: string; transport: SnmpTransport }>();
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
    const mem = this.snmpMemory.get(target.deviceId) ?? { credential: 0 };
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
    const options = { clock: this.clock, budgetMs: this.config.polling.timeout };
    try {
      const transport = this.session(target.deviceId, `${endpoint.host}|${endpoint.port}|${mem.credential}|${target.community ?? ''}`, endpoint);
      const raw = await collectSnmp(endpoint, mem.previous, { ...options, transport });
      if (signal.aborted) return { ok: false, error: 'poll cancelled' };
      mem.previous = retainForNextPoll(raw);
      return { ok: true, snapshot: normaliseSnmp(raw.values, { address: raw.address, collectedAt: raw.collectedAt, thresholds: this.thresholds() }) };
    } catch (err) {
      // A failed device starts over with a fresh socket (and SNMPv3 engine discovery).
      this.dropSession(target.deviceId);
      mem.previous = undefined;
      if (creds.length > 1) mem.credential = (mem.credential + 1) % creds.length;
      return { ok: false, error: (err as Error).message };
    }
  }

  private session(deviceId: string, key: string, endpoint: SnmpEndpoint): SnmpTransport {
    const open = this.sessions.get(deviceId);
    if (open && open.key === key) {
      this.sessions.delete(deviceId);
      this.sessions.set(deviceId, open);
      return open.transport;
    }
    this.dropSession(deviceId);
    const transport = openSession(endpoint);
    this.sessions.set(deviceId, { key, transport });
    if (this.sessions.size > MAX_OPEN_SNMP_SESSIONS) this.dropSession(this.sessions.keys().next().value!);
    return transport;
  }

  private dropSession(deviceId: string): void {
    this.sessions.get(deviceId)?.transport.close();
    this.sessions.delete(deviceId);
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
    for (const id of [...this.sessions.keys()]) this.dropSession(id);
    this.ipp.close();
  }
}
