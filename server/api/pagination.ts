/**
 * Offset pagination, the same on every list: `?limit=1..500&offset=0..` (default 50 from 0);
 * responses carry `total` (after filtering) and `nextOffset` (null on the last page).
 */
import { z } from 'zod';
import type { ListingPage } from '../storage/repository.js';

export const MAX_PAGE = 500;

export const PageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
});
export type PageQuery = z.infer<typeof PageQuery>;

/** A list filter parameter: "a,b" → ["a", "b"], each checked against `values`. */
export function commaList<const V extends string>(values: readonly V[], maxLength: number) {
  return z
    .string()
    .max(maxLength)
    .transform((s) => s.split(',').map((x) => x.trim()))
    .pipe(z.array(z.enum(values as [V, ...V[]])).min(1));
}

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
    nextOffset: z.number().int().nullable(),
  });
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
  nextOffset: number | null;
}

/** Cuts one page out of an already filtered and ordered list; `map` runs on the page only. */
export function paginate<T, U = T>(all: readonly T[], q: PageQuery, map?: (t: T) => U): Page<U> {
  const slice = all.slice(q.offset, q.offset + q.limit);
  const next = q.offset + slice.length;
  return {
    items: map ? slice.map(map) : (slice as unknown as U[]),
    total: all.length,
    limit: q.limit,
    offset: q.offset,
    nextOffset: next < all.length ? next : null,
  };
}

/** A page read from a store listing (Repository.listingPage); `map` runs on the page only. */
export function pageOfListing<T, U>(slice: ListingPage<T>, q: PageQuery, map: (t: T) => U): Page<U> {
  const next = q.offset + slice.items.length;
  return { items: slice.items.map(map), total: slice.total, limit: q.limit, offset: q.offset, nextOffset: next < slice.total ? next : null };
}

/** Like paginate over `all.filter(keep)`, without building the filtered list (one counting pass). */
export function paginateWhere<T, U>(all: readonly T[], keep: ((t: T) => boolean) | null, q: PageQuery, map: (t: T) => U): Page<U> {
  if (keep === null) return paginate(all, q, map);
  const items: U[] = [];
  let total = 0;
  for (const t of all) {
    if (!keep(t)) continue;
    if (total >= q.offset && items.length < q.limit) items.push(map(t));
    total += 1;
  }
  const next = q.offset + items.length;
  return { items, total, limit: q.limit, offset: q.offset, nextOffset: next < total ? next : null };
}

/** Conjunction of checks; null for none. */
export function allOf<T>(checks: ReadonlyArray<(t: T) => boolean>): ((t: T) => boolean) | null {
  if (checks.length === 0) return null;
  if (checks.length === 1) return checks[0]!;
  return (t) => checks.every((c) => c(t));
}
