/**
 * A small SMI (SNMP MIB module) reader: just enough of SMIv1/SMIv2 to resolve object names to
 * dotted OIDs and to read enumerations (INTEGER { name(n), … }) from OBJECT-TYPEs and
 * TEXTUAL-CONVENTIONs. Pure: text in, definitions out; `mibs/oidTable.ts` builds the generated
 * table from it.
 *
 * Comments run from `--` to the end of the line (as net-snmp reads them); quoted strings may span
 * lines and are kept so DESCRIPTION text can be inspected (hrPrinterDetectedErrorState's bit list
 * lives only there).
 */

export interface SmiToken {
  readonly kind: 'word' | 'number' | 'string' | 'punct';
  readonly text: string;
  readonly line: number;
}

/** One `name … ::= { parent n … }` assignment. */
export interface SmiObject {
  readonly name: string;
  readonly module: string;
  /** The macro (OBJECT-TYPE, MODULE-IDENTITY, …) or 'OBJECT IDENTIFIER'. */
  readonly macro: string;
  /** `{ parent 1 2 }` or `{ iso org(3) dod(6) 1 }`: the first element names the parent. */
  readonly parent: string;
  readonly subIds: readonly number[];
  /** Enumeration written inline in the SYNTAX clause, if any. */
  readonly enumeration?: ReadonlyMap<string, number>;
  /** Type named in the SYNTAX clause (e.g. PrtAlertCodeTC), if any. */
  readonly syntaxType?: string;
  readonly description?: string;
  readonly line: number;
}

export interface SmiTextualConvention {
  readonly name: string;
  readonly module: string;
  readonly enumeration?: ReadonlyMap<string, number>;
  readonly line: number;
}

export interface SmiModule {
  readonly name: string;
  readonly objects: readonly SmiObject[];
  readonly textualConventions: readonly SmiTextualConvention[];
}

export class SmiParseError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'SmiParseError';
  }
}

const MACROS_WITH_OID = new Set([
  'OBJECT-TYPE',
  'MODULE-IDENTITY',
  'OBJECT-IDENTITY',
  'NOTIFICATION-TYPE',
  'OBJECT-GROUP',
  'NOTIFICATION-GROUP',
  'MODULE-COMPLIANCE',
  'AGENT-CAPABILITIES',
]);

export function tokenize(text: string, file: string): SmiToken[] {
  const tokens: SmiToken[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '-' && text[i + 1] === '-') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '"') {
      const start = line;
      let j = i + 1;
      while (j < n && text[j] !== '"') {
        if (text[j] === '\n') line++;
        j++;
      }
      if (j >= n) throw new SmiParseError(file, start, 'unterminated string');
      tokens.push({ kind: 'string', text: text.slice(i + 1, j), line: start });
      i = j + 1;
      continue;
    }
    if (c === "'") {
      // 'hex'H or 'bits'B literal: keep as a string token.
      const j = text.indexOf("'", i + 1);
      if (j < 0) throw new SmiParseError(file, line, 'unterminated quoted literal');
      const suffix = text[j + 1] ?? '';
      tokens.push({ kind: 'string', text: text.slice(i + 1, j), line });
      i = j + 1 + (/[HhBb]/.test(suffix) ? 1 : 0);
      continue;
    }
    if (text.startsWith('::=', i)) {
      tokens.push({ kind: 'punct', text: '::=', line });
      i += 3;
      continue;
    }
    if (text.startsWith('..', i)) {
      tokens.push({ kind: 'punct', text: '..', line });
      i += 2;
      continue;
    }
    if (/[A-Za-z]/.test(c)) {
      let j = i + 1;
      // Identifiers may contain single hyphens but never end with one nor contain "--".
      while (j < n && (/[A-Za-z0-9_]/.test(text[j]!) || (text[j] === '-' && /[A-Za-z0-9]/.test(text[j + 1] ?? '')))) j++;
      tokens.push({ kind: 'word', text: text.slice(i, j), line });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(text[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < n && /[0-9]/.test(text[j]!)) j++;
      tokens.push({ kind: 'number', text: text.slice(i, j), line });
      i = j;
      continue;
    }
    tokens.push({ kind: 'punct', text: c, line });
    i++;
  }
  return tokens;
}

/** Parses one MIB file (one module; a file with several modules yields the first). */
export function parseModule(text: string, file: string): SmiModule {
  const t = tokenize(text, file);
  const objects: SmiObject[] = [];
  const tcs: SmiTextualConvention[] = [];
  const defIdx = t.findIndex((tok, k) => tok.text === 'DEFINITIONS' && t[k + 1]?.text === '::=');
  if (defIdx < 1) throw new SmiParseError(file, 1, 'no "<Module> DEFINITIONS ::= BEGIN" header');
  const moduleName = t[defIdx - 1]!.text;

  let k = defIdx + 2;
  const at = (o: number) => t[k + o];
  while (k < t.length) {
    const tok = t[k]!;
    // Skip macro definitions (SNMPv2-SMI, SNMPv2-TC…): their bodies are grammar, not objects.
    if (at(1)?.text === 'MACRO' && at(2)?.text === '::=') {
      while (k < t.length && t[k]!.text !== 'END') k++;
      k++;
      continue;
    }
    if (tok.text === 'IMPORTS') {
      while (k < t.length && t[k]!.text !== ';') k++;
      k++;
      continue;
    }
    if (tok.kind === 'word' && /^[a-z]/.test(tok.text)) {
      const next = at(1);
      if (next && next.text === 'OBJECT' && at(2)?.text === 'IDENTIFIER' && at(3)?.text === '::=') {
        k += 4;
        const { parent, subIds, end } = readOidValue(t, k, file);
        objects.push({ name: tok.text, module: moduleName, macro: 'OBJECT IDENTIFIER', parent, subIds, line: tok.line });
        k = end;
        continue;
      }
      if (next && MACROS_WITH_OID.has(next.text)) {
        k += 2;
        let enumeration: Map<string, number> | undefined;
        let syntaxType: string | undefined;
        let description: string | undefined;
        while (k < t.length && t[k]!.text !== '::=') {
          const cur = t[k]!;
          if (cur.text === 'SYNTAX' && syntaxType === undefined && enumeration === undefined) {
            const typeTok = t[k + 1];
            if (typeTok && (typeTok.text === 'INTEGER' || typeTok.text === 'BITS') && t[k + 2]?.text === '{') {
              const r = readEnumeration(t, k + 3, file);
              enumeration = r.values;
              syntaxType = typeTok.text;
              k = r.end;
              continue;
            }
            if (typeTok && typeTok.kind === 'word') syntaxType = typeTok.text;
          }
          if (cur.text === 'DESCRIPTION' && description === undefined && t[k + 1]?.kind === 'string') {
            description = t[k + 1]!.text;
          }
          k++;
        }
        if (k >= t.length) throw new SmiParseError(file, tok.line, `${tok.text}: missing "::= { … }"`);
        k++;
        const { parent, subIds, end } = readOidValue(t, k, file);
        objects.push({ name: tok.text, module: moduleName, macro: next.text, parent, subIds, enumeration, syntaxType, description, line: tok.line });
        k = end;
        continue;
      }
    }
    if (tok.kind === 'word' && /^[A-Z]/.test(tok.text) && at(1)?.text === '::=' && at(2)?.text === 'TEXTUAL-CONVENTION') {
      k += 3;
      let enumeration: Map<string, number> | undefined;
      // The TC body ends at its SYNTAX clause; read that clause's enumeration if there is one.
      while (k < t.length && t[k]!.text !== 'SYNTAX') k++;
      const typeTok = t[k + 1];
      if (typeTok && (typeTok.text === 'INTEGER' || typeTok.text === 'BITS') && t[k + 2]?.text === '{') {
        const r = readEnumeration(t, k + 3, file);
        enumeration = r.values;
        k = r.end;
      } else {
        k += 2;
      }
      tcs.push({ name: tok.text, module: moduleName, enumeration, line: tok.line });
      continue;
    }
    k++;
  }
  return { name: moduleName, objects, textualConventions: tcs };
}

function readOidValue(t: SmiToken[], k: number, file: string): { parent: string; subIds: number[]; end: number } {
  const open = t[k];
  if (!open || open.text !== '{') throw new SmiParseError(file, open?.line ?? 0, `expected "{" after "::=", found ${open ? `"${open.text}"` : 'end of file'}`);
  k++;
  const parts: SmiToken[] = [];
  while (k < t.length && t[k]!.text !== '}') {
    const cur = t[k]!;
    // name(number) form inside a value: the number is what counts.
    if (cur.kind === 'word' && t[k + 1]?.text === '(' && t[k + 2]?.kind === 'number' && t[k + 3]?.text === ')') {
      parts.push(parts.length === 0 ? cur : t[k + 2]!);
      k += 4;
      continue;
    }
    parts.push(cur);
    k++;
  }
  if (k >= t.length) throw new SmiParseError(file, open.line, 'unterminated OID value');
  const [first, ...rest] = parts;
  if (!first) throw new SmiParseError(file, open.line, 'empty OID value');
  const subIds = rest.map((p) => {
    if (p.kind !== 'number') throw new SmiParseError(file, p.line, `expected a number in OID value, found "${p.text}"`);
    return Number(p.text);
  });
  // `{ 0 0 }`-style values (only used by deprecated placeholders) get a numeric parent.
  return { parent: first.text, subIds, end: k + 1 };
}

function readEnumeration(t: SmiToken[], k: number, file: string): { values: Map<string, number>; end: number } {
  const values = new Map<string, number>();
  while (k < t.length && t[k]!.text !== '}') {
    const name = t[k]!;
    if (name.text === ',') {
      k++;
      continue;
    }
    if (name.kind !== 'word' || t[k + 1]?.text !== '(' || t[k + 2]?.kind !== 'number' || t[k + 3]?.text !== ')') {
      throw new SmiParseError(file, name.line, `expected "name(number)" in enumeration, found "${name.text}"`);
    }
    values.set(name.text, Number(t[k + 2]!.text));
    k += 4;
  }
  if (k >= t.length) throw new SmiParseError(file, t[t.length - 1]?.line ?? 0, 'unterminated enumeration');
  return { values, end: k + 1 };
}

/** Well-known roots of the OID tree (ITU-T X.660); every module's tree hangs from these. */
const ROOTS: ReadonlyMap<string, readonly number[]> = new Map([
  ['ccitt', [0]],
  ['iso', [1]],
  ['joint-iso-ccitt', [2]],
]);

/**
 * Resolves every object of the given modules to its dotted OID. The same name defined twice must
 * resolve to the same OID (RFC1213-MIB and SNMPv2-MIB both define `system`); otherwise it is an
 * error naming both places.
 */
export function resolveOids(modules: readonly SmiModule[]): Map<string, string> {
  const byName = new Map<string, SmiObject[]>();
  for (const m of modules) for (const o of m.objects) byName.set(o.name, [...(byName.get(o.name) ?? []), o]);
  const resolved = new Map<string, string>();
  const resolving = new Set<string>();

  const resolve = (name: string): string | undefined => {
    const root = ROOTS.get(name);
    if (root) return root.join('.');
    if (/^\d+$/.test(name)) return name;
    const done = resolved.get(name);
    if (done !== undefined) return done;
    const defs = byName.get(name);
    if (!defs) return undefined;
    if (resolving.has(name)) throw new Error(`OID definition cycle through ${name}`);
    resolving.add(name);
    let result: string | undefined;
    for (const d of defs) {
      const parent = resolve(d.parent);
      if (parent === undefined) continue;
      const oid = [parent, ...d.subIds].join('.');
      if (result !== undefined && result !== oid) {
        throw new Error(`${name} is defined twice with different OIDs: ${result} and ${oid} (${d.module} line ${d.line})`);
      }
      result = oid;
    }
    resolving.delete(name);
    if (result !== undefined) resolved.set(name, result);
    return result;
  };
  for (const name of byName.keys()) resolve(name);
  return resolved;
}
