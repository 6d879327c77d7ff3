/**
 * Migration 3: the btree index of the ordered collection ticketDue (repository.ts
 * OrderedCollections): one small record per hot ticket, `{ dueAt }` = when its timers next have
 * something to do. The timer tick reads the tickets due by now through it instead of every hot
 * ticket. Partial (only ticketDue rows), so other writes do not pay for it.
 */
import type { Migration } from './index.js';

export const ticketDueIndex: Migration = {
  version: 3,
  name: 'ticket_due_index',
  sql: `
CREATE INDEX records_ticket_due ON records (((value->>'dueAt')::float8), id) WHERE collection = 'ticketDue';
`,
};
