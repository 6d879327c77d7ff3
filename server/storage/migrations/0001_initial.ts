/**
 * Migration 1: the tables of the Repository contract (server/storage/repository.ts).
 *
 *  records             hot records: one row per (collection, id), the value as `json` (kept as
 *                      text, so any JSON the lowdb store accepts fits, including "\u0000"
 *                      that `jsonb` rejects)
 *  archive             history, appended once: seq orders records within a month
 *  processed_messages  the dedup window: message id primary key (a message is processed at most
 *                      once, enforced by the database); seq lets the oldest be pruned by count
 *  unique_keys         the unique keys of hot records (UniqueKeyRules): the primary key makes two
 *                      instances unable to commit two hot records with one key
 */
import type { Migration } from './index.js';

export const initial: Migration = {
  version: 1,
  name: 'initial',
  sql: `
CREATE TABLE records (
  collection text NOT NULL,
  id text NOT NULL,
  value json NOT NULL,
  PRIMARY KEY (collection, id)
);

CREATE TABLE archive (
  seq bigserial PRIMARY KEY,
  collection text NOT NULL,
  id text NOT NULL,
  month char(7) NOT NULL CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
  archived_at timestamptz NOT NULL,
  value json NOT NULL
);
CREATE INDEX archive_by_month ON archive (collection, month, seq);

CREATE TABLE processed_messages (
  message_id text PRIMARY KEY,
  seq bigserial NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processed_messages_by_seq ON processed_messages (seq);

CREATE TABLE unique_keys (
  collection text NOT NULL,
  key text NOT NULL,
  id text NOT NULL,
  PRIMARY KEY (collection, key)
);
CREATE INDEX unique_keys_by_record ON unique_keys (collection, id);
`,
};
