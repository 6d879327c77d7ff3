/**
 * What the agent remembers across restarts: per device the change-detection memory and the
 * last sequence number. One JSON file, replaced atomically (write, fsync, rename).
 *
 * Sequence numbers must never go backwards (the server orders and de-duplicates by them). After
 * an unclean stop the file may be a little behind, so numbering resumes `crashGap` above the
 * saved value and above anything still in the outbox.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { rekeyFaults, type DeviceMemory } from '../diff/changeDetection.js';

export interface DeviceRecord {
  memory: DeviceMemory;
  seq: number;
  /** Hash of the last published device.state content, to publish only on change. */
  stateHash?: string;
  stateAt?: number;
}

interface FileShape {
  version: 1;
  clean: boolean;
  devices: Record<string, DeviceRecord>;
}

export interface LoadedState {
  readonly devices: Map<string, DeviceRecord>;
  readonly cleanShutdown: boolean;
  readonly problem: string | null;
}

export const CRASH_SEQ_GAP = 1000;

export class StateStore {
  constructor(private readonly path: string) {}

  load(recoveredSeq: ReadonlyMap<string, number>): LoadedState {
    const devices = new Map<string, DeviceRecord>();
    let clean = true;
    let problem: string | null = null;
    if (existsSync(this.path)) {
      try {
        const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as FileShape;
        if (parsed.version !== 1 || typeof parsed.devices !== 'object' || parsed.devices === null) throw new Error('unknown layout');
        clean = parsed.clean === true;
        for (const [id, rec] of Object.entries(parsed.devices)) {
          // The retained state is always published again after a start: what was queued in memory died with the process.
          if (rec && typeof rec.seq === 'number' && rec.memory && typeof rec.memory === 'object')
            devices.set(id, { memory: rekeyFaults(rec.memory), seq: rec.seq });
        }
      } catch (err) {
        // Unreadable memory: start fresh (faults are raised again after hysteresis), but numbering must still move on.
        problem = `agent state ${this.path} is unreadable (${(err as Error).message}); starting with empty device memory`;
        clean = false;
      }
    }
    const gap = clean ? 0 : CRASH_SEQ_GAP;
    for (const rec of devices.values()) rec.seq += gap;
    for (const [id, seq] of recoveredSeq) {
      const rec = devices.get(id);
      if (rec) rec.seq = Math.max(rec.seq, seq + gap);
      else
        devices.set(id, { memory: { faults: {}, supplies: {}, identity: null, reachable: true, consecutiveFailures: 0, failingSince: null }, seq: seq + gap });
    }
    return { devices, cleanShutdown: clean, problem };
  }

  /** Atomic replace; throws with the path on failure (the caller logs and retries later). */
  save(devices: ReadonlyMap<string, DeviceRecord>, clean: boolean): void {
    const body: FileShape = { version: 1, clean, devices: Object.fromEntries(devices) };
    const tmp = `${this.path}.tmp`;
    try {
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, JSON.stringify(body));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
    } catch (err) {
      throw new Error(`cannot save agent state to ${this.path}: ${(err as Error).message}`);
    }
  }
}
