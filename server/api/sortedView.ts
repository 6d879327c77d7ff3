/**
 * A sorted copy of a store collection, kept in order as the collection changes. Store records are
 * immutable (a change puts a new object; repository.ts), so "unchanged" is decided by identity:
 * same length and the same object at every position of the store's listing, an O(n) pointer
 * comparison. After a change only the new objects (puts and inserts) are sorted, O(k log k), and
 * merged into the kept order, O(n), instead of sorting everything again: under steady telemetry
 * a few records change between two requests. Always exact: any put, insert or delete changes an
 * identity or the length. Sort keys are computed once per record object; `compare` must be a
 * total order (ties broken by id), so the result is exactly that of sorting the whole list.
 */
export class SortedView<T extends object, K = unknown> {
  private source: readonly T[] = [];
  /** The objects of `source`, kept from the last change so the next one builds one set, not two. */
  private sourceSet = new Set<T>();
  private sorted: readonly T[] = [];
  private readonly keys = new WeakMap<T, K>();

  constructor(
    private readonly keyOf: (t: T) => K,
    private readonly compare: (a: K, b: K) => number,
  ) {}

  private key(t: T): K {
    let k = this.keys.get(t);
    if (k === undefined && !this.keys.has(t)) {
      k = this.keyOf(t);
      this.keys.set(t, k);
    }
    return k as K;
  }

  of(list: readonly T[]): readonly T[] {
    if (sameItems(list, this.source)) return this.sorted;
    const before = this.sourceSet;
    const now = new Set(list);
    const kept = this.sorted.filter((t) => now.has(t));
    const fresh = list.filter((t) => !before.has(t)).sort((a, b) => this.compare(this.key(a), this.key(b)));
    const merged: T[] = new Array<T>(kept.length + fresh.length);
    let i = 0;
    let j = 0;
    for (let n = 0; n < merged.length; n++) {
      if (j >= fresh.length || (i < kept.length && this.compare(this.key(kept[i]!), this.key(fresh[j]!)) <= 0)) merged[n] = kept[i++]!;
      else merged[n] = fresh[j++]!;
    }
    this.sorted = merged;
    this.source = list;
    this.sourceSet = now;
    return this.sorted;
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The items of a sorted list grouped by a key (e.g. customer), order kept; rebuilt only when the
 * list is a different array (SortedView returns the same array until it re-sorts).
 */
export class GroupIndex<T> {
  private source: readonly T[] | undefined;
  private groups = new Map<string, T[]>();

  constructor(private readonly keyOf: (t: T) => string) {}

  of(list: readonly T[]): ReadonlyMap<string, readonly T[]> {
    if (list !== this.source) {
      const groups = new Map<string, T[]>();
      for (const t of list) {
        const k = this.keyOf(t);
        const g = groups.get(k);
        if (g) g.push(t);
        else groups.set(k, [t]);
      }
      this.groups = groups;
      this.source = list;
    }
    return this.groups;
  }
}
