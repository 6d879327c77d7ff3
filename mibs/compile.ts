/**
 * `npm run mibs`: parse the MIB modules in mibs/modules/ and mibs/vendor/ and (re)write
 * mibs/oids.generated.ts. `npm run mibs -- --check` only reports whether the committed file is
 * up to date (exit 1 when stale).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOidTable, renderOidTable, type MibFile } from './oidTable.js';

const MIBS_DIR = dirname(fileURLToPath(import.meta.url));
export const GENERATED_FILE = join(MIBS_DIR, 'oids.generated.ts');

/** Every MIB module file FleetDesk ships: one module per file, named after the module. */
export function readMibFiles(dir = MIBS_DIR): MibFile[] {
  const files: MibFile[] = [];
  for (const sub of ['modules', 'vendor']) {
    for (const name of readdirSync(join(dir, sub)).sort()) {
      if (name.endsWith('.md')) continue;
      const file = join(dir, sub, name);
      files.push({ file: `mibs/${sub}/${name}`, text: readFileSync(file, 'utf8') });
    }
  }
  return files;
}

function main(argv: string[]): number {
  const text = renderOidTable(buildOidTable(readMibFiles()));
  if (argv.includes('--check')) {
    const current = readFileSync(GENERATED_FILE, 'utf8');
    if (current !== text) {
      process.stderr.write('mibs/oids.generated.ts is stale: run `npm run mibs`\n');
      return 1;
    }
    process.stdout.write('mibs/oids.generated.ts is up to date\n');
    return 0;
  }
  writeFileSync(GENERATED_FILE, text);
  process.stdout.write(`wrote ${GENERATED_FILE}\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
