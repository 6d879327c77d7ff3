/**
 * docs/configuration.md lists every agent.yaml key: the table's keys and the schema's leaf keys
 * must be the same set, so a key added to the schema without a line in the docs (or a documented
 * key that no longer exists) fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { AgentConfig } from '../../../agent/agentConfig.js';
import { REPO_ROOT } from '../../harness/repo.js';

/** Leaf key paths of a zod object schema; arrays and unions are leaves (documented as one key). */
function leafKeys(schema: z.ZodType, prefix = ''): string[] {
  let s: z.ZodType = schema;
  // Defaults, prefaults and optionals wrap the object that has the keys.
  while (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  if (!(s instanceof z.ZodObject)) return [prefix];
  return Object.entries(s.shape as Record<string, z.ZodType>).flatMap(([key, child]) => leafKeys(child, prefix ? `${prefix}.${key}` : key));
}

function documentedKeys(section: string): string[] {
  const text = readFileSync(join(REPO_ROOT, 'docs', 'configuration.md'), 'utf8');
  const start = text.indexOf(section);
  const end = text.indexOf('\n## ', start + 1);
  const rows = text
    .slice(start, end)
    .split('\n')
    .filter((l) => l.startsWith('| `'));
  return rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
}

describe('docs/configuration.md agent table', () => {
  it('names exactly the keys of the agent schema', () => {
    const schema = leafKeys(AgentConfig).sort();
    const documented = documentedKeys('## Agent (`agent.yaml`)').sort();
    expect(schema).toContain('polling.stateRefresh');
    expect(
      documented.filter((k) => !schema.includes(k)),
      'documented but not in the schema',
    ).toEqual([]);
    expect(
      schema.filter((k) => !documented.includes(k)),
      'in the schema but not documented',
    ).toEqual([]);
  });
});
