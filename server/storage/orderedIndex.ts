/**
 * The journaled store's in-memory index of an ordered collection (repository.ts
 * OrderedCollections): (key, id) pairs kept sorted, so reading the records up to a key costs
 * O(log n + k) instead of a pass over the collection. Insertion and removal find their place by
 * binary search; the splice that follows moves pointers only (a few µs for 100,000 entries).
 */
export class OrderedIndex {
  private readonly keys: number[] = [];
  private readonly ids: string[] = [];

  constructor(readonly field: string) {}

  /** The order key of a record value; undefined when the value is not in the order. */
  keyOf(value: unknown): number | undefined {
    if (typeof value !== 'object' || value === null) return undefined;
    const k = (value as Record<string, unknown>)[this.field];
    return typeof k === 'number' && Number.isFinite(k) ? k : undefined;
  }

  get size(): number {
    return this.keys.length;
  }

  /** Moves record `id` from the key of `before` to the key of `after` (undefined: not there). */
  move(id: string, before: unknown, after: unknown): void {
    const from = before === undefined ? undefined : this.keyOf(before);
    const to = after === undefined ? undefined : this.keyOf(after);
    if (from === to && from !== undefined) return;
    if (from !== undefined) {
      const i = this.position(from, id);
      if (this.keys[i] === from && this.ids[i] === id) {
        this.keys.splice(i, 1);
        this.ids.splice(i, 1);
      }
    }
    if (to !== undefined) {
      const i = this.position(to, id);
      this.keys.splice(i, 0, to);
      this.ids.splice(i, 0, id);
    }
  }

  clear(): void {
    this.keys.length = 0;
    this.ids.length = 0;
  }

  first(): number | undefined {
    return this.keys[0];
  }

  /** Entries with key ≤ upTo, lowest first. */
  *upTo(upTo: number): Generator<[key: number, id: string]> {
    for (let i = 0; i < this.keys.length && this.keys[i]! <= upTo; i++) yield [this.keys[i]!, this.ids[i]!];
  }

  /** The first position whose (key, id) is not below (key, id). */
  private position(key: number, id: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = this.keys[mid]!;
      if (k < key || (k === key && this.ids[mid]! < id)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Orders (key, id) pairs as the indexes do: by key, then id. */
export function byKeyThenId(a: { key: number; id: string }, b: { key: number; id: string }): number {
  return a.key - b.key || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
