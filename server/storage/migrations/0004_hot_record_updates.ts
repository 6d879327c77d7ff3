/**
 * Migration 4: record updates that stay on their heap page (HOT) and so write no index entry.
 *
 * Migration 3 indexed an expression of `value` (ticketDue's dueAt). PostgreSQL then treats `value`
 * as an indexed column and makes EVERY update of `records` a non-HOT update: a new primary-key
 * entry per device telemetry write. Under SERIALIZABLE those index inserts land on btree pages that
 * other instances' units hold predicate locks on (they read neighbouring keys), which made
 * instances with disjoint devices conflict (docs/scale-out.md, "Partitioning"). Now the ordered key
 * is a stored generated column, NULL outside the ordered collections, so an update of any other
 * record changes no indexed column; and pages keep 20 % free so that the new row version fits
 * beside the old one. Adding the column rewrites the table once (a few seconds per million records).
 */
import type { Migration } from './index.js';

export const hotRecordUpdates: Migration = {
  version: 4,
  name: 'hot_record_updates',
  sql: `
DROP INDEX records_ticket_due;
ALTER TABLE records SET (fillfactor = 80);
ALTER TABLE records ADD COLUMN ordered_key float8
  GENERATED ALWAYS AS (CASE WHEN collection = 'ticketDue' THEN (value->>'dueAt')::float8 END) STORED;
CREATE INDEX records_ordered ON records (collection, ordered_key, id) WHERE ordered_key IS NOT NULL;
`,
};
