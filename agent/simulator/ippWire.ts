/**
 * The `ipp` package (2.0.1) wrapped for the simulator's server side.
 *
 * - Its serializer only knows the attributes in its own registry; the CUPS marker-* attributes,
 *   printer-firmware-string-version, printer-input-tray and the PWG 5100.22 page counters
 *   (printer-impressions-completed(-col), printer-media-sheets-completed(-col)) are missing, so
 *   their syntaxes are added here (additively: existing entries are never replaced).
 * - Its parser and serializer write to the console on odd input (and throw strings); calls run
 *   with console.log/error redirected to a callback, so nothing reaches the user's terminal.
 */
import { withConsoleCaptured } from '../collect/ipp/ippConsole.js';
import ipp from 'ipp';
import type { IppAttributes } from './ippView.js';

type Syntax = Record<string, unknown>;

const COUNT: Syntax = { type: 'integer', tag: 0x21, min: 0, max: 2147483647 };
/** PWG 5100.22 counter collections: the member names of job-impressions-col, each an integer. */
const COUNT_COLLECTION: Syntax = {
  type: 'collection',
  tag: 0x34,
  members: Object.fromEntries(
    [
      'monochrome',
      'monochrome-two-sided',
      'full-color',
      'full-color-two-sided',
      'highlight-color',
      'highlight-color-two-sided',
      'blank',
      'blank-two-sided',
    ].map((m) => [m, COUNT]),
  ),
};

const EXTRA_PRINTER_SYNTAXES: Record<string, Syntax> = {
  'marker-names': { type: 'name', max: 1023, setof: true },
  'marker-colors': { type: 'name', max: 1023, setof: true },
  'marker-types': { type: 'keyword', tag: 0x44, min: 1, max: 1023, setof: true },
  'marker-levels': { type: 'integer', tag: 0x21, min: -3, max: 100, setof: true },
  'marker-low-levels': { type: 'integer', tag: 0x21, min: 0, max: 100, setof: true },
  'marker-high-levels': { type: 'integer', tag: 0x21, min: 0, max: 100, setof: true },
  'printer-firmware-string-version': { type: 'text', max: 1023, setof: true },
  'printer-input-tray': { type: 'octetString', tag: 0x30, max: 1023, setof: true },
  'printer-impressions-completed': COUNT,
  'printer-impressions-completed-col': COUNT_COLLECTION,
  'printer-media-sheets-completed': COUNT,
  'printer-media-sheets-completed-col': COUNT_COLLECTION,
};

let registered = false;

function registerSyntaxes(): void {
  if (registered) return;
  const table = (ipp.attributes as unknown as Record<string, Record<string, Syntax>>)['Printer Description'];
  if (!table) throw new Error("the ipp package has no 'Printer Description' attribute group: is it version 2.0.1?");
  for (const [name, syntax] of Object.entries(EXTRA_PRINTER_SYNTAXES)) if (!(name in table)) table[name] = syntax;
  registered = true;
}

function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

export interface IppRequest {
  readonly version: string;
  readonly operation: string | undefined;
  readonly requestId: number;
  readonly printerUri: string | undefined;
  /** Names asked for; undefined means "all" (RFC 8011 default). */
  readonly requestedAttributes: readonly string[] | undefined;
}

export function parseIppRequest(body: Buffer, onOutput: (line: string) => void): IppRequest {
  if (body.length < 9) throw new Error(`IPP request of ${body.length} bytes is too short (at least 9 needed)`);
  let parsed: Record<string, unknown>;
  try {
    parsed = withConsoleCaptured(onOutput, () => ipp.parse(body) as unknown as Record<string, unknown>);
  } catch (err) {
    throw new Error(`malformed IPP request: ${asError(err).message}`);
  }
  const op = (parsed['operation-attributes-tag'] ?? {}) as Record<string, unknown>;
  const requested = op['requested-attributes'];
  const list = requested === undefined ? undefined : (Array.isArray(requested) ? requested : [requested]).map(String);
  return {
    version: String(parsed.version),
    operation: typeof parsed.operation === 'string' ? parsed.operation : undefined,
    requestId: typeof parsed.id === 'number' ? parsed.id : 0,
    printerUri: typeof op['printer-uri'] === 'string' ? op['printer-uri'] : undefined,
    requestedAttributes: list,
  };
}

/** RFC 8011 §4.2.5.1: "all" and the group names select everything the simulator has. */
export function selectAttributes(all: IppAttributes, requested: readonly string[] | undefined): IppAttributes {
  if (!requested || requested.some((r) => r === 'all' || r === 'printer-description' || r === 'printer-status')) return all;
  const out: IppAttributes = {};
  for (const name of requested) if (name in all) out[name] = all[name]!;
  return out;
}

/**
 * The serializer writes integers with writeUInt32BE, which rejects negative values (marker-levels
 * -2/-3 are legal IPP integers). The same four bytes come out of the unsigned 32-bit form.
 */
function unsignedIntegers(attrs: IppAttributes): IppAttributes {
  const fix = (v: unknown): unknown => (typeof v === 'number' && v < 0 ? v >>> 0 : Array.isArray(v) ? v.map(fix) : v);
  const out: IppAttributes = {};
  for (const [k, v] of Object.entries(attrs)) out[k] = fix(v) as IppAttributes[string];
  return out;
}

export function serializeIppResponse(
  response: { statusCode: string; requestId: number; version?: string; printerAttributes?: IppAttributes; statusMessage?: string },
  onOutput: (line: string) => void,
): Buffer {
  registerSyntaxes();
  const msg: Record<string, unknown> = {
    version: response.version === '1.1' ? '1.1' : '2.0',
    statusCode: response.statusCode,
    id: response.requestId,
    'operation-attributes-tag': {
      'attributes-charset': 'utf-8',
      'attributes-natural-language': 'en',
      ...(response.statusMessage ? { 'status-message': response.statusMessage } : {}),
    },
  };
  if (response.printerAttributes) msg['printer-attributes-tag'] = unsignedIntegers(response.printerAttributes);
  try {
    return withConsoleCaptured(onOutput, () => ipp.serialize(msg as unknown as Parameters<typeof ipp.serialize>[0]));
  } catch (err) {
    throw new Error(`cannot encode IPP response: ${asError(err).message}`);
  }
}
