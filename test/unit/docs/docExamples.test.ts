/**
 * The docs' YAML examples are read by the real loaders: every fenced ```yaml block in docs/*.md
 * and every docs/*.yaml. A block says what it is in its first line (`# server.yaml`, `# agent.yaml`,
 * `# scenario file`, `# calendar`), as a reader needs to know too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { AgentConfig } from '../../../agent/agentConfig.js';
import { parseScenario } from '../../../agent/simulator/scenario.js';
import { ServerConfig } from '../../../server/serverConfig.js';
import { CalendarSpec } from '../../../server/sla/businessCalendar.js';
import { loadConfig } from '../../../shared/config/loader.js';
import { REPO_ROOT } from '../../harness/repo.js';

const DOCS = join(REPO_ROOT, 'docs');

interface Example {
  readonly where: string;
  readonly text: string;
}

function examples(): Example[] {
  const out: Example[] = [];
  for (const file of readdirSync(DOCS).sort()) {
    if (!file.endsWith('.md') && !file.endsWith('.yaml')) continue;
    const text = readFileSync(join(DOCS, file), 'utf8');
    if (file.endsWith('.yaml')) out.push({ where: `docs/${file}`, text: `# ${file.includes('agent') ? 'agent.yaml' : 'server.yaml'}\n${text}` });
    if (!file.endsWith('.md')) continue;
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.trim() !== '```yaml') continue;
      const end = lines.findIndex((l, j) => j > i && l.trim() === '```');
      out.push({ where: `docs/${file}:${i + 1}`, text: lines.slice(i + 1, end).join('\n') });
      i = end;
    }
  }
  return out;
}

function check(example: Example): void {
  const first = example.text.split('\n')[0] ?? '';
  if (/^# agent\.yaml/.test(first)) loadConfig(AgentConfig, { file: example.where, text: example.text });
  else if (/^# server\.yaml/.test(first)) loadConfig(ServerConfig, { file: example.where, text: example.text });
  else if (/^# scenario file/.test(first)) parseScenario(parse(example.text), example.where);
  else if (/^# calendar/.test(first)) CalendarSpec.parse(parse(example.text));
  else throw new Error(`${example.where}: the first line must say what the example is (# agent.yaml, # server.yaml, # scenario file, # calendar)`);
}

describe('YAML examples in docs/', () => {
  const all = examples();
  it('finds the examples', () => {
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect(all.some((e) => e.where === 'docs/agent.example.yaml')).toBe(true);
  });
  it.each(all.map((e) => [e.where, e] as const))('%s is accepted by its loader', (_where, example) => {
    expect(() => check(example)).not.toThrow();
  });
});
