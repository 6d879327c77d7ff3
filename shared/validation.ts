/**
 * Turns schema-library issues into plain, human-readable problems: the key path, what was
 * expected and what was found. Config errors, rejected MQTT messages and API error bodies
 * all speak this one format.
 */
import type { z } from 'zod';
import { maskUrlPassword } from './secrets.js';

export interface Problem {
  /** Dotted path with [n] for array items, e.g. "devices[2].snmp.version"; "" for the root. */
  readonly path: string;
  readonly expected: string;
  readonly found: string;
  readonly message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** A short, safe description of a value: its type and, for scalars, a truncated rendering. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  switch (typeof value) {
    case 'string': {
      const masked = maskUrlPassword(value);
      const shown = masked.length > 40 ? `${masked.slice(0, 40)}…` : masked;
      return `string ${JSON.stringify(shown)}`;
    }
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

function list(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected;
    case 'invalid_value':
      return issue.values.length === 1 ? list(issue.values) : `one of ${list(issue.values)}`;
    case 'unrecognized_keys':
      return 'no other keys';
    case 'too_big':
      return issue.origin === 'string'
        ? `at most ${String(issue.maximum)} characters`
        : issue.origin === 'array'
          ? `at most ${String(issue.maximum)} items`
          : `a value ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    case 'too_small':
      return issue.origin === 'string'
        ? `at least ${String(issue.minimum)} characters`
        : issue.origin === 'array'
          ? `at least ${String(issue.minimum)} items`
          : `a value ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'invalid_format':
      // A regex check with a custom message ("an IPv4 range in CIDR form …") says it best.
      return issue.format === 'regex' && !issue.message.startsWith('Invalid') ? issue.message : `a ${issue.format}`;
    case 'invalid_union': {
      const withOptions = issue as { options?: unknown[] };
      if (withOptions.options) return `one of ${list(withOptions.options)}`;
      // Plain union: list what each branch would have accepted at this same path.
      const forms = issue.errors
        .map((branch) => branch.find((b) => b.path.length === 0))
        .filter((b): b is z.core.$ZodIssue => b !== undefined)
        .map((b) => expectation(b));
      return forms.length > 0 ? [...new Set(forms)].join(' or ') : 'one of the allowed forms';
    }
    case 'not_multiple_of':
      return `a multiple of ${String(issue.divisor)}`;
    default:
      return issue.message;
  }
}

export function toProblem(issue: z.core.$ZodIssue): Problem {
  if (issue.code === 'unrecognized_keys') {
    const parent = formatPath(issue.path);
    const keys = issue.keys.map((k) => (parent ? `${parent}.${k}` : k));
    return {
      path: keys.join(', '),
      expected: 'no such key',
      found: `unknown key${issue.keys.length > 1 ? 's' : ''} ${list(issue.keys)}`,
      message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${list(keys)}`,
    };
  }
  const path = formatPath(issue.path);
  const input = (issue as { input?: unknown }).input;
  let found = describeValue(input);
  // A discriminated union reports the path of the tag; show the tag value, not the object.
  if (issue.code === 'invalid_union' && 'discriminator' in issue && input && typeof input === 'object') {
    const tag = (input as Record<string, unknown>)[String((issue as { discriminator: unknown }).discriminator)];
    found = describeValue(tag);
  }
  const expected = expectation(issue);
  return { path, expected, found, message: `${path || '(root)'}: expected ${expected}, found ${found}` };
}

export function toProblems(error: z.ZodError): Problem[] {
  return error.issues.map(toProblem);
}
