/**
 * Which devices a simulator run has: N synthetic devices cycling through the chosen built-in
 * models (ids dev-0001, dev-0002, …), plus one device per .snmprec recording in a folder (id =
 * file name without .snmprec, as snmpsim names its communities).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { OID } from '../../mibs/oids.generated.js';
import type { DeviceState } from './deviceModel.js';
import { recordedDevice } from './recordedDevice.js';
import { parseSnmprec, type SnmprecProblem } from './snmprec.js';
import { findModel, instantiateModel, MODEL_NAMES } from './syntheticModels.js';

export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

export interface CatalogEntry {
  readonly ordinal: number;
  readonly state: DeviceState;
  /** sysUpTime at start, hundredths of a second. */
  readonly uptimeAtStart: number;
}

export interface CatalogOptions {
  readonly devices: number;
  readonly models?: readonly string[];
  readonly snmprecDir?: string;
}

export interface Catalog {
  readonly entries: CatalogEntry[];
  /** Lines of recordings that could not be used (file:line: reason); the rest of each file is served. */
  readonly warnings: string[];
}

export const MAX_DEVICES = 10_000;

export function syntheticId(n: number): string {
  return `dev-${String(n).padStart(4, '0')}`;
}

export function buildCatalog(options: CatalogOptions): Catalog {
  if (!Number.isInteger(options.devices) || options.devices < 0 || options.devices > MAX_DEVICES) {
    throw new CatalogError(`devices: expected an integer from 0 to ${MAX_DEVICES}, found ${options.devices}`);
  }
  const models = options.models && options.models.length > 0 ? options.models : MODEL_NAMES;
  const specs = models.map((name) => {
    const spec = findModel(name);
    if (!spec) throw new CatalogError(`unknown model ${JSON.stringify(name)}: expected one of ${MODEL_NAMES.join(', ')}`);
    return spec;
  });
  const entries: CatalogEntry[] = [];
  const warnings: string[] = [];
  for (let i = 0; i < options.devices; i++) {
    const id = syntheticId(i + 1);
    // About a day of uptime, different per device, so sysUpTime values are realistic.
    entries.push({ ordinal: entries.length, state: instantiateModel(specs[i % specs.length]!, id, i), uptimeAtStart: 8_640_000 + i * 36_000 });
  }
  if (options.snmprecDir) {
    let files: string[];
    try {
      files = readdirSync(options.snmprecDir)
        .filter((f) => f.endsWith('.snmprec'))
        .sort();
    } catch (err) {
      throw new CatalogError(`cannot read the snmprec folder ${options.snmprecDir}: ${(err as Error).message}`);
    }
    if (files.length === 0) throw new CatalogError(`the snmprec folder ${options.snmprecDir} has no .snmprec files`);
    const seen = new Set(entries.map((e) => e.state.id));
    for (const file of files) {
      const id = basename(file, '.snmprec');
      if (seen.has(id)) throw new CatalogError(`recording ${file} would reuse device id ${id}`);
      seen.add(id);
      const path = join(options.snmprecDir, file);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        throw new CatalogError(`cannot read recording ${path}: ${(err as Error).message}`);
      }
      const { rows, problems } = parseSnmprec(text);
      warnings.push(...problems.map((p: SnmprecProblem) => `${path}:${p.line}: ${p.message}`));
      if (rows.length === 0) {
        warnings.push(`${path}: no usable rows, skipped`);
        continue;
      }
      const state = recordedDevice(id, file, rows);
      const upRow = rows.find(([oid]) => oid === `${OID.sysUpTime}.0`);
      const uptime = upRow && upRow[1].type === 'TimeTicks' ? upRow[1].value : 0;
      entries.push({ ordinal: entries.length, state, uptimeAtStart: uptime });
    }
  }
  return { entries, warnings };
}
