/**
 * A bounded subtree walk over an SnmpTransport: GETBULK on v2c/v3, GETNEXT on v1.
 *
 * Stops when the agent leaves the subtree or signals the end of its MIB. Fails (with a clear
 * SnmpCollectError) when the agent returns an OID that is not strictly after the previous one
 * (the "same OID forever" and "going backwards" agents), when the walk exceeds `maxValues`, or
 * when the collection's deadline passes. Memory is bounded by maxValues.
 */
import type { Clock } from '../../../shared/clock.js';
import { compareOids, isUnder, type SnmpValue } from './raw.js';
import type { SnmpTransport } from './session.js';
import { SnmpCollectError } from './snmpErrors.js';

export interface WalkLimits {
  /** Most values one walk may return. */
  readonly maxValues: number;
  /** GETBULK max-repetitions. */
  readonly maxRepetitions: number;
  /** Epoch ms after which no new request is started. */
  readonly deadline: number;
  readonly clock: Pick<Clock, 'now'>;
  /** For messages: device and what is walked. */
  readonly where: string;
}

export async function walkSubtree(t: SnmpTransport, root: string, limits: WalkLimits, label = root): Promise<Array<[string, SnmpValue]>> {
  const out: Array<[string, SnmpValue]> = [];
  let last = root;
  for (;;) {
    if (limits.clock.now() > limits.deadline) {
      throw new SnmpCollectError('timeBudget', `${limits.where}: time budget exhausted while walking ${label} (${out.length} values read)`);
    }
    const batch = t.version === '1' ? await t.getNext([last]) : await t.getBulk(last, limits.maxRepetitions);
    if (batch.length === 0) return out;
    for (const vb of batch) {
      if ('exception' in vb) {
        if (vb.exception === 'endOfMibView') return out;
        // noSuchObject/noSuchInstance have no place in a walk; treat as the end of this subtree.
        return out;
      }
      if (!isUnder(vb.oid, root)) return out;
      if (compareOids(vb.oid, last) <= 0) {
        throw new SnmpCollectError(
          'walkNotIncreasing',
          `${limits.where}: walk of ${label} is not progressing: after ${last} the agent returned ${vb.oid} (a loop or an OID going backwards)`,
        );
      }
      if (out.length >= limits.maxValues) {
        throw new SnmpCollectError('walkTooLong', `${limits.where}: walk of ${label} returned more than ${limits.maxValues} values; giving up on this device`);
      }
      out.push([vb.oid, vb.value]);
      last = vb.oid;
    }
  }
}
