/**
 * Side effects of fleet events (live updates, ticket notices) run once per COMMITTED unit: a store
 * that re-runs a conflicting unit (PostgreSQL) calls the handlers again on a new Transaction, and
 * only the attempt that committed may publish. Also: in-process views stay exact when records come
 * back as fresh objects on every read (PostgreSQL) after another instance wrote them.
 */
import { describe, expect, it } from 'vitest';
import { FleetEventBus, type FleetEvent } from '../../../server/events/fleetEvents.js';
import type { Transaction } from '../../../server/storage/repository.js';

const tx = (): Transaction => ({}) as Transaction;
const event = (id: string): FleetEvent => ({
  type: 'agentOnline',
  eventId: id,
  at: '2026-01-05T08:00:00Z',
  agent: { tenant: 't', agentId: 'a', siteId: 's', siteName: 'S', customer: { id: 'c', name: 'C', contract: undefined, contact: undefined } },
});

describe('FleetEventBus.afterCommit', () => {
  it('runs the effects of the attempt that committed, once, and never those of a retried attempt', async () => {
    const bus = new FleetEventBus();
    const published: string[] = [];
    bus.subscribe((e, t) => bus.afterCommit(t, () => published.push(e.eventId)));
    const first = tx();
    const second = tx();
    // Attempt 1 conflicts and is thrown away; attempt 2 commits.
    await bus.emit(event('m1/online'), first);
    await bus.emit(event('m1/online'), second);
    expect(published).toEqual([]);
    bus.committed(second);
    bus.committed(second);
    expect(published).toEqual(['m1/online']);
  });

  it('drops the effects of a savepoint that was rolled back, keeping those before and after', async () => {
    const bus = new FleetEventBus();
    const published: string[] = [];
    bus.subscribe((e, t) => bus.afterCommit(t, () => published.push(e.eventId)));
    const t = tx();
    await bus.emit(event('a'), t);
    const mark = bus.effectsMark(t);
    await bus.emit(event('bad-1'), t);
    await bus.emit(event('bad-2'), t);
    bus.discardEffectsAfter(t, mark);
    await bus.emit(event('c'), t);
    bus.committed(t);
    expect(published).toEqual(['a', 'c']);
  });

  it('keeps running the other effects when one throws, and counts it', () => {
    const bus = new FleetEventBus();
    const published: string[] = [];
    const t = tx();
    bus.afterCommit(t, () => {
      throw new Error('listener bug');
    });
    bus.afterCommit(t, () => published.push('second'));
    bus.committed(t);
    expect(published).toEqual(['second']);
    expect(bus.handlerErrors).toBe(1);
  });
});
