/**
 * A sorted copy of a store collection, recomputed only when the collection changed. Store
 * records are immutable (a change puts a new object; repository.ts), so "unchanged" is decided
 * by identity: same length and the same object at every position of the store's listing, an
 * O(n) pointer comparison instead of an O(n log n) sort on every request. Always exact: any
 * put, insert or delete changes an identity or the length.
 */
export class SortedView<T extends object> {
  private source: readonly T[] = [];
  private sorted: readonly T[] = [];

  constructor(private readonly order: (all: readonly T[]) => T[]) {}

  of(list: readonly T[]): readonly T[] {
    if (!sameItems(list, this.source)) {
      this.sorted = this.order(list);
      this.source = list;
    }
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
