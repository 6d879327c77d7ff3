// Production build: compile TypeScript to dist/ and copy the non-TypeScript assets beside it,
// so `node dist/bin/run.js` runs without tsx.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
} catch {
  console.error('build: TypeScript compilation failed (errors above)');
  process.exit(1);
}

// Static files the programs read at run time (dashboard pages, MIB modules, presets).
const assets = ['server/dashboard/static', 'mibs'];
for (const rel of assets) {
  const from = join(root, rel);
  if (existsSync(from)) cpSync(from, join(dist, rel), { recursive: true, filter: (src) => !src.endsWith('.ts') });
}
console.log(`build: compiled to ${dist}`);
