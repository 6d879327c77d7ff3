/**
 * Schema migrations of the PostgreSQL store: versioned, forward only, each one SQL step that runs
 * in the transaction that records it in `schema_migrations`. Never edit a released step: add the
 * next version. `runMigrations` (../schemaMigrations.ts) applies the missing ones at start.
 */
import { initial } from './0001_initial.js';
import { numberSequences } from './0002_number_sequences.js';
import { ticketDueIndex } from './0003_ticket_due_index.js';
import { hotRecordUpdates } from './0004_hot_record_updates.js';
import { listings } from './0005_listings.js';
import { unitGuards } from './0006_unit_guards.js';

export interface Migration {
  /** 1, 2, 3, …: consecutive, never reused. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [initial, numberSequences, ticketDueIndex, hotRecordUpdates, listings, unitGuards];
