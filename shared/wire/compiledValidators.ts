/**
 * Fast accept path for wire messages, derived from the zod schemas of messages.ts (zod stays the
 * one place where the schemas are written).
 *
 * Why: zod validates a message by building a new copy of it and costs ~15 µs per device message,
 * a third of the server's ingest CPU. Each message schema is exported with `z.toJSONSchema` and
 * compiled once by ajv into a plain function that checks the parsed JSON in place (~1–2 µs).
 *
 * How it is used (codec.ts): a message the compiled validator accepts is the decoded message; a
 * message it rejects goes to zod, which decides and words the error. So a disagreement can only
 * make a valid message slower, never let an invalid one through, provided that everything the
 * compiled validator accepts zod accepts too, with the same result: that is what
 * test/unit/shared/compiledValidators.test.ts checks over the protocol examples, mutated
 * variants and the hostile payloads of the ingest fuzz test.
 *
 * ajv options chosen to match zod exactly:
 *  - string lengths in code points (ajv's default), as zod 4 counts them for `.min()`/`.max()`
 *    (a surrogate pair is one, a lone surrogate one);
 *  - `unicodeRegExp: false`: patterns compiled without the `u` flag, as zod runs them;
 *  - `validateFormats: false`: the JSON Schema carries zod's own regex as `pattern` next to
 *    `format` (uuid, date-time), so the pattern is the check, not ajv's idea of the format;
 *  - `useDefaults: true`: fills `default`s (snapshot.inputs = []) as zod's output would have them;
 *  - nullable scalars are checked as one node with a list of types (mergeScalarAnyOf), the same
 *    values without ajv's per-branch error objects;
 *  - refinements are not exported by z.toJSONSchema; the one on wire data (at most 64 counters)
 *    is restated for JSON Schema with `.meta({ maxProperties })` next to it in snapshot.ts, and a
 *    refinement added later without such a statement is caught by the equivalence test.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';
import {
  AgentCommandMessage,
  AgentStatusMessage,
  DeviceEventMessage,
  DeviceStateMessage,
  DeviceTelemetryMessage,
  type WireMessage,
  type WireMessageType,
} from './messages.js';

/** Checks a parsed JSON value in place; true means zod would accept it unchanged (after defaults). */
export type CompiledValidator = (json: unknown) => boolean;

const SCHEMAS: Readonly<Record<WireMessageType, z.ZodType>> = {
  'agent.status': AgentStatusMessage,
  'device.state': DeviceStateMessage,
  'device.event': DeviceEventMessage,
  'device.telemetry': DeviceTelemetryMessage,
  'agent.command': AgentCommandMessage,
};

/** Warnings mean the exported schema is not what this module assumes (strict mode): fail loudly. */
const ajvLogger = {
  log: () => undefined,
  warn: (...args: unknown[]) => {
    throw new Error(`compiling the wire schemas: ${args.map(String).join(' ')}`);
  },
  error: (...args: unknown[]) => {
    throw new Error(`compiling the wire schemas: ${args.map(String).join(' ')}`);
  },
};

/** JSON Schema keywords that constrain values of one type only (and pass any other type). */
const KEYWORDS_OF_TYPE: Readonly<Record<string, ReadonlySet<string>>> = {
  string: new Set(['minLength', 'maxLength', 'pattern', 'format']),
  number: new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']),
  integer: new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']),
  null: new Set(),
  boolean: new Set(),
};

type JsonSchemaNode = Record<string, unknown>;

/**
 * `anyOf` of single-type branches (zod writes `.nullable()` and unions of scalars that way) as
 * one node with a list of types: `anyOf: [{type: 'number', maximum: 100}, {type: 'null'}]` →
 * `{type: ['number', 'null'], maximum: 100}`. Exactly the same set of values, because each kept
 * keyword applies to its own type only and the types are disjoint; but ajv checks it without
 * building an error object for every branch that does not match (per message, per nullable field).
 * Anything else is left as it is.
 */
function mergeScalarAnyOf(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(mergeScalarAnyOf);
  if (node === null || typeof node !== 'object') return node;
  const merged = mergedScalars(node as JsonSchemaNode);
  if (merged) return merged;
  const out: JsonSchemaNode = {};
  for (const [k, v] of Object.entries(node)) out[k] = mergeScalarAnyOf(v);
  return out;
}

/** The node as one multi-type node when it is a pure `anyOf` of scalar branches, else undefined. */
function mergedScalars(node: JsonSchemaNode): JsonSchemaNode | undefined {
  if (!Array.isArray(node.anyOf) || Object.keys(node).length !== 1) return undefined;
  const branches: JsonSchemaNode[] = [];
  const collect = (b: JsonSchemaNode): void => {
    if (Array.isArray(b.anyOf) && Object.keys(b).length === 1) (b.anyOf as JsonSchemaNode[]).forEach(collect);
    else branches.push(b);
  };
  collect(node);
  const merged: JsonSchemaNode = {};
  const types: string[] = [];
  for (const branch of branches) {
    const type = branch.type;
    const allowed = typeof type === 'string' ? KEYWORDS_OF_TYPE[type] : undefined;
    if (typeof type !== 'string' || !allowed || types.includes(type)) return undefined;
    if ((type === 'number' && types.includes('integer')) || (type === 'integer' && types.includes('number'))) return undefined;
    for (const [k, v] of Object.entries(branch)) {
      if (k === 'type') continue;
      if (!allowed.has(k) || k in merged) return undefined;
      merged[k] = v;
    }
    types.push(type);
  }
  return { type: types, ...merged };
}

function compileAll(): ReadonlyMap<string, CompiledValidator> {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, unicodeRegExp: false, validateFormats: false, useDefaults: true, logger: ajvLogger });
  const compiled = new Map<string, CompiledValidator>();
  for (const [type, schema] of Object.entries(SCHEMAS)) {
    // 'input': the shape as sent (defaults are optional on the wire and filled in by ajv).
    const jsonSchema = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw', target: 'draft-2020-12' });
    const validate = ajv.compile(mergeScalarAnyOf(jsonSchema) as JsonSchemaNode);
    compiled.set(type, (json) => validate(json) === true);
  }
  return compiled;
}

let validators: ReadonlyMap<string, CompiledValidator> | undefined;

/**
 * The compiled validator for a message `type`, or undefined for an unknown type (zod then
 * reports it). Compiled on first use (~tens of ms), then shared by every caller in the process.
 */
export function compiledValidator(type: unknown): CompiledValidator | undefined {
  if (typeof type !== 'string') return undefined;
  validators ??= compileAll();
  return validators.get(type);
}

/** Compiles every validator now (a server does it at start rather than on its first message). */
export function precompileWireValidators(): void {
  validators ??= compileAll();
}

/**
 * The fast path alone: the message when the compiled validator accepts `json`, else undefined
 * (then only zod can say whether and why it is invalid). May fill defaults into `json`.
 */
export function acceptFast(json: object): WireMessage | undefined {
  const validate = compiledValidator((json as { type?: unknown }).type);
  return validate && validate(json) ? (json as WireMessage) : undefined;
}
