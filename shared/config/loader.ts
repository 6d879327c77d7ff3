/**
 * Configuration loading: a YAML file, then environment overrides, validated against a schema.
 *
 * Every error names where the value came from (file:line:column or the environment variable),
 * the key path, what was expected and what was found. Secrets never appear in messages: a
 * secret-named key is described by its type only.
 *
 * Environment overrides: `<PREFIX>__BROKER__URL=mqtt://…` sets `broker.url`; segments are
 * separated by a double underscore and written in UPPER_SNAKE_CASE (`POLL_INTERVAL_SECONDS` →
 * `pollIntervalSeconds`). Values are read as YAML scalars, so `5`, `true` and `[a, b]` work.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isScalar, type Document } from 'yaml';
import type { z } from 'zod';
import { isSecretKey } from '../secrets.js';
import { describeValue, formatPath, toProblem, type Problem } from '../validation.js';

export interface ConfigProblem extends Problem {
  /** "agent.yaml:12:5", "environment FLEETDESK_AGENT__BROKER__URL", or the file name alone. */
  readonly where: string;
}

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(`invalid configuration (${source}):\n${problems.map((p) => `  ${p.where}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Path of the YAML file; omitted = defaults plus environment only. */
  file?: string;
  /** Text of the file, when the caller already has it (tests); `file` still names it in errors. */
  text?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** e.g. "FLEETDESK_AGENT": variables `FLEETDESK_AGENT__…` override keys. */
  envPrefix?: string;
}

function camelFromSnake(segment: string): string {
  const lower = segment.toLowerCase();
  return lower.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

interface EnvOverride {
  variable: string;
  path: (string | number)[];
}

function collectEnvOverrides(env: Readonly<Record<string, string | undefined>>, prefix: string): EnvOverride[] {
  const start = `${prefix}__`;
  const out: EnvOverride[] = [];
  for (const variable of Object.keys(env).sort()) {
    if (!variable.startsWith(start)) continue;
    const path = variable
      .slice(start.length)
      .split('__')
      .map((seg) => (/^\d+$/.test(seg) ? Number(seg) : camelFromSnake(seg)));
    out.push({ variable, path });
  }
  return out;
}

function parseEnvValue(variable: string, raw: string): unknown {
  const doc = parseDocument(raw);
  if (doc.errors.length > 0) {
    throw new ConfigError(`environment ${variable}`, [
      {
        where: `environment ${variable}`,
        path: '',
        expected: 'a YAML scalar or flow value',
        found: 'unparseable text',
        message: doc.errors[0]?.message ?? 'unparseable',
      },
    ]);
  }
  return doc.toJS() as unknown;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function setPath(root: Record<string, unknown>, path: (string | number)[], value: unknown, variable: string): void {
  let node: Record<string | number, unknown> = root;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (typeof seg === 'string' && FORBIDDEN_KEYS.has(seg)) {
      throw new ConfigError(`environment ${variable}`, [
        {
          where: `environment ${variable}`,
          path: formatPath(path),
          expected: 'a configuration key',
          found: `forbidden key ${seg}`,
          message: `forbidden key ${seg}`,
        },
      ]);
    }
    if (i === path.length - 1) {
      node[seg] = value;
      return;
    }
    const next = node[seg];
    if (next === null || typeof next !== 'object') {
      const created: Record<string | number, unknown> = typeof path[i + 1] === 'number' ? ([] as unknown as Record<number, unknown>) : {};
      node[seg] = created;
      node = created;
    } else {
      node = next as Record<string | number, unknown>;
    }
  }
}

function startsWith(path: readonly PropertyKey[], prefix: readonly (string | number)[]): boolean {
  if (prefix.length > path.length) return false;
  return prefix.every((seg, i) => path[i] === seg);
}

/** Position of a key itself (not its value) in the document, for unknown-key errors. */
function locateKey(doc: Document | undefined, counter: LineCounter, parent: readonly PropertyKey[], key: string): string | undefined {
  if (!doc) return undefined;
  const node = parent.length === 0 ? doc.contents : doc.getIn(parent as (string | number)[], true);
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    const k = pair.key as { value?: unknown; range?: [number, number, number] } | null;
    if (k && k.value === key && k.range) {
      const pos = counter.linePos(k.range[0]);
      return `${pos.line}:${pos.col}`;
    }
  }
  return undefined;
}

function locate(doc: Document | undefined, counter: LineCounter, path: readonly PropertyKey[]): string | undefined {
  if (!doc) return undefined;
  // Walk down as far as the document goes: a missing key is reported at its parent.
  for (let len = path.length; len >= 0; len--) {
    const node = doc.getIn(path.slice(0, len) as (string | number)[], true) as { range?: [number, number, number] } | undefined;
    const range = node?.range ?? (len === 0 ? doc.contents?.range : undefined);
    if (range) {
      const pos = counter.linePos(range[0]);
      return `${pos.line}:${pos.col}`;
    }
  }
  return undefined;
}

/** Aliases a file may expand: a few anchors reused is normal, thousands is an alias bomb ("billion laughs"). */
const MAX_ALIAS_COUNT = 100;

/** The document as plain data; a ConfigError (not a stack trace) when its aliases expand too much. */
function documentValue(doc: Document, source: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    throw new ConfigError(source, [
      {
        where: source,
        path: '',
        expected: `at most ${MAX_ALIAS_COUNT} alias expansions`,
        found: 'aliases that expand exponentially',
        message: `YAML aliases expand too much (${err.message}); the file is refused`,
      },
    ]);
  }
}

/** Load, merge and validate. Throws ConfigError; never returns an invalid config. */
export function loadConfig<S extends z.ZodType>(schema: S, options: LoadOptions = {}): z.output<S> {
  const source = options.file ?? '(defaults)';
  let data: Record<string, unknown> = {};
  let doc: Document | undefined;
  const counter = new LineCounter();

  if (options.file !== undefined || options.text !== undefined) {
    let text = options.text;
    if (text === undefined) {
      try {
        text = readFileSync(options.file!, 'utf8');
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message;
        throw new ConfigError(source, [{ where: source, path: '', expected: 'a readable YAML file', found: why, message: `cannot read the file: ${why}` }]);
      }
    }
    doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: true });
    if (doc.errors.length > 0) {
      throw new ConfigError(
        source,
        doc.errors.map((e) => {
          const pos = e.linePos?.[0];
          return {
            where: pos ? `${source}:${pos.line}:${pos.col}` : source,
            path: '',
            expected: 'valid YAML',
            found: e.code,
            // The library appends "at line L, column C:" and a source excerpt; `where` says that already.
            message: `YAML syntax error: ${(e.message.split('\n')[0] ?? e.code).replace(/ at line \d+, column \d+:?$/, '')}`,
          };
        }),
      );
    }
    const contents = doc.contents;
    if (contents !== null && !isMap(contents) && !(isScalar(contents) && (contents.value === null || contents.value === undefined))) {
      throw new ConfigError(source, [
        {
          where: `${source}:1:1`,
          path: '',
          expected: 'a mapping of keys to values',
          found: describeValue(documentValue(doc, source)),
          message: 'the file must be a YAML mapping (key: value lines)',
        },
      ]);
    }
    const js = documentValue(doc, source);
    data = js && typeof js === 'object' ? (js as Record<string, unknown>) : {};
  }

  const overrides = collectEnvOverrides(options.env ?? {}, options.envPrefix ?? '\u0000none');
  for (const o of overrides) {
    setPath(data, o.path, parseEnvValue(o.variable, options.env![o.variable]!), o.variable);
  }

  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;

  const problems: ConfigProblem[] = result.error.issues.map((issue) => {
    const problem = toProblem(issue);
    // A missing secret reveals nothing: say it is missing rather than "of the wrong form".
    const secret = issue.path.some((seg) => typeof seg === 'string' && isSecretKey(seg)) && (issue as { input?: unknown }).input !== undefined;
    const safe: Problem = secret
      ? {
          ...problem,
          found: 'a value of the wrong form (secret, not shown)',
          message: `${problem.path}: expected ${problem.expected}, found a value of the wrong form (secret, not shown)`,
        }
      : problem;
    const fromEnv = overrides.find((o) => startsWith(issue.path, o.path) || startsWith(o.path, issue.path as (string | number)[]));
    if (fromEnv && issue.path.length > 0) return { ...safe, where: `environment ${fromEnv.variable}` };
    const pos =
      issue.code === 'unrecognized_keys'
        ? (locateKey(doc, counter, issue.path, issue.keys[0]!) ?? locate(doc, counter, issue.path))
        : locate(doc, counter, issue.path);
    return { ...safe, where: pos ? `${source}:${pos}` : source };
  });
  // Report in file order, environment overrides last, as a reader scans the file.
  const order = (p: ConfigProblem): [number, number] => {
    const m = /:(\d+):(\d+)$/.exec(p.where);
    return m ? [Number(m[1]), Number(m[2])] : [Number.MAX_SAFE_INTEGER, 0];
  };
  problems.sort((a, b) => order(a)[0] - order(b)[0] || order(a)[1] - order(b)[1]);
  throw new ConfigError(source, problems);
}
