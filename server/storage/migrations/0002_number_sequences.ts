/**
 * Migration 2: ticket numbers from a sequence instead of the counter record ticketMeta/counter
 * that every unit opening a ticket wrote (a hot row: with several instances, one of two such
 * units was re-run after a serialization failure). Started after the counter's lastNumber; the
 * store also moves it past that record once per process (an installation copied by `store
 * migrate` after this step ran). Sequences are not transactional: a number taken by a unit that
 * rolls back is skipped, so numbers may have gaps, never repeats.
 */
import type { Migration } from './index.js';

export const numberSequences: Migration = {
  version: 2,
  name: 'number_sequences',
  sql: `
CREATE SEQUENCE numbers_ticketmeta_counter AS bigint MINVALUE 1;
SELECT setval('numbers_ticketmeta_counter', (value->>'lastNumber')::bigint)
  FROM records WHERE collection = 'ticketMeta' AND id = 'counter' AND (value->>'lastNumber')::bigint > 0;
`,
};
