/**
 * Listings (repository.ts ListingRules): what a listing query means on one entry, and the
 * journaled store's in-memory listing of a collection. The PostgreSQL store compiles the same
 * query to SQL over its `listings` table (postgresStore.ts); the two must agree, which
 * test/peers/listingPages.test.ts checks on random data.
 */
import type { ListingEntry, ListingQuery, ListingRule, TermFilter } from './repository.js';

export function matchesFilter(filter: TermFilter, terms: readonly string[]): boolean {
  if ('anyTerm' in filter) return filter.anyTerm.some((t) => terms.includes(t));
  if ('not' in filter) return !matchesFilter(filter.not, terms);
  if ('all' in filter) return filter.all.every((f) => matchesFilter(f, terms));
  return filter.or.some((f) => matchesFilter(f, terms));
}

/** Whether an entry matches a query's filter and text (not its keyset position). */
export function matchesListing(q: Pick<ListingQuery, 'filter' | 'contains'>, entry: ListingEntry): boolean {
  if (q.filter !== undefined && !matchesFilter(q.filter, entry.terms)) return false;
  if (q.contains !== undefined && !entry.text.some((x) => x.includes(q.contains!))) return false;
  return true;
}

/**
 * The journaled store's listing of one collection: every record's entry, and the ids in sort
 * order (kept sorted by binary search as entries move). A page passes over the entries in order
 * with the filter's term checks, without reading or sorting any record: O(n) set lookups for the
 * total, O(page) records.
 */
export class ListingIndex {
  private readonly entries = new Map<string, ListingEntry>();
  private readonly order: { sort: string; id: string }[] = [];

  /** The listing of `records` (id → value), sorted once: O(n log n), not an insertion per record. */
  constructor(
    readonly rule: ListingRule,
    records: Iterable<[string, unknown]> = [],
  ) {
    for (const [id, value] of records) {
      const entry = rule.entryOf(value);
      if (entry === undefined) continue;
      this.entries.set(id, entry);
      this.order.push({ sort: entry.sort, id });
    }
    this.order.sort((a, b) => (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : 0));
  }

  /** Record `id` now holds `value` (undefined: gone). */
  move(id: string, value: unknown): void {
    const before = this.entries.get(id);
    const after = value === undefined ? undefined : this.rule.entryOf(value);
    if (before !== undefined && (after === undefined || after.sort !== before.sort)) {
      const i = this.position(before.sort);
      if (this.order[i]?.sort === before.sort) this.order.splice(i, 1);
    }
    if (after === undefined) {
      this.entries.delete(id);
      return;
    }
    if (before === undefined || after.sort !== before.sort) this.order.splice(this.position(after.sort), 0, { sort: after.sort, id });
    this.entries.set(id, after);
  }

  /** The ids of a page, their sort keys and the total matching. */
  page(q: ListingQuery): { ids: string[]; sorts: string[]; total: number } {
    const ids: string[] = [];
    const sorts: string[] = [];
    const plain = q.filter === undefined && q.contains === undefined;
    const start = q.after === undefined ? 0 : this.position(q.after, true);
    if (plain) {
      for (const o of this.order.slice(start + q.offset, start + q.offset + q.limit)) {
        ids.push(o.id);
        sorts.push(o.sort);
      }
      return { ids, sorts, total: this.order.length };
    }
    let total = 0;
    let seen = 0;
    for (let i = 0; i < this.order.length; i++) {
      const o = this.order[i]!;
      if (!matchesListing(q, this.entries.get(o.id)!)) continue;
      total += 1;
      if (i < start) continue;
      if (seen >= q.offset && ids.length < q.limit) {
        ids.push(o.id);
        sorts.push(o.sort);
      }
      seen += 1;
    }
    return { ids, sorts, total };
  }

  /** The first position whose sort key is not below `sort` (`past`: not at or below it). */
  private position(sort: string, past = false): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.order[mid]!.sort;
      if (s < sort || (past && s === sort)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
