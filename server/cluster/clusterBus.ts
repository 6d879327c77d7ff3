/**
 * The bus between server instances: small notes ("ticket T000042 changed", "fault raised on
 * device X" with a compact summary) that one instance publishes after a change and every OTHER
 * instance receives, so that dashboards connected to any instance see every change and the
 * leader re-plans its ticket timers. The records themselves stay in the store; a note carries
 * ids, kinds and a summary that fits PostgreSQL's NOTIFY payload limit (8000 bytes).
 *
 * Delivery is best effort and at most once, like the live updates it feeds: a dashboard that
 * reconnects re-reads through the API, and the leader re-reads every ticket's due time at least
 * every `maxTickInterval` anyway.
 *
 * `LocalBus` is the bus of a single instance: there is nobody to tell, so publishing is a no-op.
 */

export type BusBody = null | boolean | number | string | BusBody[] | { [key: string]: BusBody };

export interface BusNote {
  /** "live" (a live-update event), "ticket" (a ticket changed), … */
  readonly kind: string;
  readonly body: BusBody;
}

export interface ClusterBus {
  /** This instance; notes from it are never delivered back to it. */
  readonly instanceId: string;
  /** Queues a note for the other instances; false when it was dropped (too big, bus down or full). */
  publish(note: BusNote): boolean;
  /** Called for every note from another instance; returns the unsubscribe function. */
  subscribe(handler: (note: BusNote, from: string) => void): () => void;
  close(): Promise<void>;
}

export class LocalBus implements ClusterBus {
  constructor(readonly instanceId: string) {}
  publish(): boolean {
    return true;
  }
  subscribe(): () => void {
    return () => undefined;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** NOTIFY payloads must be shorter than 8000 bytes; keep a margin for the envelope. */
export const MAX_NOTE_BYTES = 7800;

/**
 * Packs queued notes into as few payloads as possible, each under `maxBytes` (UTF-8) and each made
 * distinct by its sequence number (PostgreSQL folds identical payloads sent in one transaction).
 * A note that does not fit even alone is returned in `tooBig`. Pure.
 */
export function packNotes(
  from: string,
  firstSeq: number,
  notes: readonly BusNote[],
  maxBytes = MAX_NOTE_BYTES,
): { payloads: string[]; tooBig: BusNote[]; nextSeq: number } {
  const payloads: string[] = [];
  const tooBig: BusNote[] = [];
  let seq = firstSeq;
  let current: string[] = [];
  let currentBytes = 0;
  const envelope = (parts: string[], s: number) => `{"from":${JSON.stringify(from)},"seq":${s},"notes":[${parts.join(',')}]}`;
  const overhead = Buffer.byteLength(envelope([], Number.MAX_SAFE_INTEGER));
  const flush = () => {
    if (current.length === 0) return;
    payloads.push(envelope(current, seq++));
    current = [];
    currentBytes = 0;
  };
  for (const note of notes) {
    const text = JSON.stringify(note);
    const bytes = Buffer.byteLength(text);
    if (overhead + bytes > maxBytes) {
      tooBig.push(note);
      continue;
    }
    if (overhead + currentBytes + bytes + (current.length > 0 ? 1 : 0) > maxBytes) flush();
    current.push(text);
    currentBytes += bytes + (current.length > 1 ? 1 : 0);
  }
  flush();
  return { payloads, tooBig, nextSeq: seq };
}

/** Parses a payload made by packNotes; undefined when it is not one (another program on the channel). */
export function unpackNotes(payload: string): { from: string; notes: BusNote[] } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const { from, notes } = v as { from?: unknown; notes?: unknown };
  if (typeof from !== 'string' || !Array.isArray(notes)) return undefined;
  const ok = notes.filter((n): n is BusNote => typeof n === 'object' && n !== null && typeof (n as BusNote).kind === 'string' && 'body' in n);
  return { from, notes: ok };
}
