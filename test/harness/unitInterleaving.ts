/**
 * Deterministic interleaving of units of work for isolation tests: a Repository over a real store
 * whose units stop once, in their first attempt, right after a chosen read, and go on only when
 * `between()` has settled (the competing unit runs to its commit in that gap). It also counts the
 * attempts (a PostgreSQL store re-runs a unit after a conflict) and records the guard keys each
 * attempt took (Transaction.guard).
 */
import type { Repository, Transaction } from '../../server/storage/repository.js';

/** A read of a unit: `get` of collection/id, or `list` of a collection (id undefined). */
export interface UnitRead {
  readonly method: 'get' | 'list';
  readonly collection: string;
  readonly id?: string;
}

export interface InterleavedRepository {
  readonly repo: Repository;
  /** Attempts of units of work started through `repo`. */
  attempts(): number;
  /** Guard keys taken, one array per attempt, in the order taken. */
  readonly guards: string[][];
}

export function interleaved(
  store: Repository,
  pause?: { readonly after: (read: UnitRead) => boolean; readonly between: () => Promise<unknown> },
): InterleavedRepository {
  let attempts = 0;
  let paused = false;
  const guards: string[][] = [];
  const wrap = (tx: Transaction, taken: string[]): Transaction => {
    const stopIf = async (read: UnitRead): Promise<void> => {
      if (!pause || paused || !pause.after(read)) return;
      paused = true;
      await pause.between();
    };
    return new Proxy(tx, {
      get(target, prop, receiver) {
        if (prop === 'get')
          return async (collection: string, id: string) => {
            const value: unknown = await target.get(collection, id);
            await stopIf({ method: 'get', collection, id });
            return value;
          };
        if (prop === 'list')
          return async (collection: string) => {
            const values: unknown[] = await target.list(collection);
            await stopIf({ method: 'list', collection });
            return values;
          };
        if (prop === 'guard')
          return (key: string) => {
            taken.push(key);
            return target.guard(key);
          };
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  const repo = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'transaction')
        return <T>(work: (tx: Transaction) => Promise<T> | T) =>
          target.transaction((tx) => {
            attempts += 1;
            const taken: string[] = [];
            guards.push(taken);
            return work(wrap(tx, taken));
          });
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { repo, attempts: () => attempts, guards };
}
