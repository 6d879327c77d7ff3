/**
 * Reading decoded IPP attributes the way the normaliser needs them: out-of-band values
 * (`unknown`, `no-value`, …) read as absent, language-tagged strings as their text, and a value
 * of the wrong syntax as absent rather than coerced.
 */
import type { IppAttribute, IppValue } from '../../collect/ipp/ippMessage.js';

export type IppAttributes = ReadonlyMap<string, IppAttribute>;

function values(attrs: IppAttributes, name: string): readonly IppValue[] {
  return attrs.get(name)?.values ?? [];
}

/** String values in order; out-of-band and non-string values become null to keep positions aligned. */
export function stringsOf(attrs: IppAttributes, name: string): (string | null)[] {
  return values(attrs, name).map((v) => (v.kind === 'string' ? v.value : null));
}

export function firstString(attrs: IppAttributes, name: string): string | undefined {
  const v = values(attrs, name)[0];
  return v?.kind === 'string' ? v.value : undefined;
}

/** Integer (and enum) values in order; anything else becomes null. */
export function integersOf(attrs: IppAttributes, name: string): (number | null)[] {
  return values(attrs, name).map((v) => (v.kind === 'integer' ? v.value : null));
}

export function firstInteger(attrs: IppAttributes, name: string): number | undefined {
  const v = values(attrs, name)[0];
  return v?.kind === 'integer' ? v.value : undefined;
}

export function firstBoolean(attrs: IppAttributes, name: string): boolean | undefined {
  const v = values(attrs, name)[0];
  return v?.kind === 'boolean' ? v.value : undefined;
}

/** The out-of-band keyword of an attribute sent as `unknown`/`no-value`/…, if it was. */
export function outOfBand(attrs: IppAttributes, name: string): string | undefined {
  const v = values(attrs, name)[0];
  return v?.kind === 'outOfBand' ? v.value : undefined;
}

/**
 * `key=value;key=value;` lists (printer-supply, printer-input-tray, printer-alert). Keys are
 * lower-cased; the first occurrence of a key wins.
 */
export function parseKeyValueList(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    if (!out.has(key)) out.set(key, part.slice(eq + 1).trim());
  }
  return out;
}

export function parseInteger(text: string | undefined): number | null {
  if (text === undefined || !/^[-+]?\d{1,10}$/.test(text.trim())) return null;
  const n = Number(text.trim());
  return Number.isSafeInteger(n) && n >= -2147483648 && n <= 2147483647 ? n : null;
}
