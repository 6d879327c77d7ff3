/**
 * Migration 6: the rows of Transaction.guard (repository.ts). Units of work run at REPEATABLE READ
 * since this step; a decision that rests on records a unit reads but does not write takes a guard,
 * and two units writing one guard row cannot both commit. One row per key ever guarded (today one
 * per installation: the last active admin token), `n` counts the units that took it.
 */
import type { Migration } from './index.js';

export const unitGuards: Migration = {
  version: 6,
  name: 'unit_guards',
  sql: `
CREATE TABLE unit_guards (
  key text PRIMARY KEY,
  n bigint NOT NULL
);
`,
};
