/**
 * Migration 5: the listings of repository.ts ListingRules (the fleet list, the ticket queue): one
 * row per listed record, written by the store in the transaction that writes the record, when its
 * entry changes. A page is a read of `listings` through an index (sort order, or the terms, or the
 * text), then of that page's records only.
 *
 *  sort        the listing's order, COLLATE "C" (code point order, as the journaled store compares)
 *  terms       exact-match terms ("customer=c7"): a GIN index answers `terms && $1`
 *  search      lowercase text fields; `search_all` is them joined by U+001F, indexed by trigrams
 *              when the pg_trgm extension can be created (Debian's postgresql package ships it;
 *              it is a trusted extension, so the database owner may create it). Without it a text
 *              search scans the collection's listing rows (small rows, no record read).
 *  version     the rule version the entry was computed with: the store recomputes older ones at open
 */
import type { Migration } from './index.js';

export const listings: Migration = {
  version: 5,
  name: 'listings',
  sql: `
CREATE TABLE listings (
  collection text NOT NULL,
  id text NOT NULL,
  version integer NOT NULL,
  sort text COLLATE "C" NOT NULL,
  terms text[] NOT NULL,
  search text[] NOT NULL,
  search_all text NOT NULL,
  PRIMARY KEY (collection, id)
);
CREATE INDEX listings_by_sort ON listings (collection, sort);
CREATE INDEX listings_by_terms ON listings USING gin (terms);
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'pg_trgm cannot be created (%): text search in listings scans them', SQLERRM;
END $$;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    CREATE INDEX listings_by_text ON listings USING gin (search_all gin_trgm_ops);
  END IF;
END $$;
`,
};
