/**
 * A collector driven by a JSON file the test rewrites between steps: per device, whether it
 * answers, hangs, answers garbage, which faults it shows and its toner level. Lets the peer
 * tests run the real runtime (outbox, publisher, broker) through exact, repeatable scenarios.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Collector, CollectResult } from '../../../agent/runtime/collector.js';
import type { PollTarget } from '../../../agent/runtime/targets.js';
import type { FaultCode } from '../../../shared/faults.js';
import type { DeviceSnapshot } from '../../../shared/snapshot.js';

export interface ScriptedDevice {
  fail?: string;
  hang?: boolean;
  garbage?: boolean;
  faults?: FaultCode[];
  toner?: number;
  serial?: string;
}
export interface Script {
  devices: Record<string, ScriptedDevice>;
}

export function writeScript(path: string, script: Script): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(script));
  renameSync(`${path}.tmp`, path);
}

export function scriptedSnapshot(target: PollTarget, d: ScriptedDevice, now: Date): DeviceSnapshot {
  const toner = d.toner ?? 80;
  return {
    address: target.address,
    protocols: ['snmp'],
    collectedAt: now.toISOString(),
    identity: { vendor: 'Scripted', model: 'Test 1', serial: d.serial ?? `SN-${target.deviceId}` },
    status: (d.faults ?? []).length > 0 ? 'down' : 'idle',
    faults: (d.faults ?? []).map((code) => ({ code, severity: 'critical' as const, source: 'prtAlert' as const, message: code })),
    supplies: [
      {
        index: 1,
        name: 'Black Toner',
        kind: 'toner',
        color: 'black',
        levelPercent: toner,
        state: toner <= 0 ? 'empty' : toner < 10 ? 'low' : 'ok',
        raw: { level: toner, max: 100, unit: 19, class: 3, type: 3 },
      },
    ],
    inputs: [],
    counters: { total: 1000 },
  };
}

export class ScriptedCollector implements Collector {
  constructor(private readonly path: string) {}

  collect(target: PollTarget, signal: AbortSignal): Promise<CollectResult> {
    let script: Script;
    try {
      script = JSON.parse(readFileSync(this.path, 'utf8')) as Script;
    } catch (err) {
      return Promise.resolve({ ok: false, error: `script unreadable: ${(err as Error).message}` });
    }
    const d = script.devices[target.deviceId] ?? { fail: 'not in script' };
    if (d.hang) return new Promise(() => undefined); // never settles; the runtime's timeout must cope
    if (d.fail) return Promise.resolve({ ok: false, error: d.fail });
    if (d.garbage) return Promise.resolve({ ok: true, snapshot: { address: 7, faults: 'x' } as unknown as DeviceSnapshot });
    void signal;
    return Promise.resolve({ ok: true, snapshot: scriptedSnapshot(target, d, new Date()) });
  }
}
