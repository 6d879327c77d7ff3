// `npm run package:agent`: the agent release an IT admin installs in one step.
//
//   dist/fleetdesk-agent-<version>-linux.tar.gz   install.sh --prefix DIR, uninstall.sh
//   dist/fleetdesk-agent_<version>_all.deb        when dpkg-deb is on the machine
//
// The agent's code is one esbuild bundle (lib/fleetdesk-agent.mjs); the npm packages it imports
// stay files beside it (lib/node_modules: the bundle's imports and their dependencies, nothing
// else), since some of them load files of their own at run time. Node.js 20.19+ comes from the
// system. Layout and install steps: docs/install-agent.md.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const esbuild = require('esbuild');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = pkg.version;
const name = `fleetdesk-agent-${version}`;
// --out DIR: where the artefacts go (default dist/; the peer test builds into a scratch folder).
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 && process.argv[outArg + 1] ? resolve(process.argv[outArg + 1]) : join(root, 'dist');
const stage = join(out, 'package-agent');
const tree = join(stage, name);

rmSync(stage, { recursive: true, force: true });
mkdirSync(join(tree, 'lib'), { recursive: true });

const result = await esbuild.build({
  entryPoints: [join(root, 'bin', 'agentRun.ts')],
  outfile: join(tree, 'lib', 'fleetdesk-agent.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  metafile: true,
  sourcemap: 'linked',
  logLevel: 'warning',
  banner: { js: `// FleetDesk agent ${version}, bundled from the TypeScript sources by scripts/package-agent.mjs` },
});

// npm packages the bundle imports, then everything they depend on (resolved as Node would).
const imported = new Set();
for (const output of Object.values(result.metafile.outputs)) {
  for (const imp of output.imports) {
    if (!imp.external || imp.path.startsWith('node:')) continue;
    imported.add(imp.path.startsWith('@') ? imp.path.split('/').slice(0, 2).join('/') : imp.path.split('/')[0]);
  }
}
function resolvePackageDir(dep, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', dep);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}
const dirs = new Set();
const queue = [...imported].map((dep) => ({ dep, from: root, optional: false }));
while (queue.length > 0) {
  const { dep, from, optional } = queue.shift();
  const dir = resolvePackageDir(dep, from);
  if (!dir) {
    if (optional) continue;
    throw new Error(`package-agent: ${dep} (needed from ${from}) is not installed; run npm install`);
  }
  if (dirs.has(dir)) continue;
  dirs.add(dir);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const d of Object.keys(manifest.dependencies ?? {})) queue.push({ dep: d, from: dir, optional: false });
  for (const d of Object.keys(manifest.optionalDependencies ?? {})) queue.push({ dep: d, from: dir, optional: true });
  for (const [d, meta] of Object.entries(manifest.peerDependenciesMeta ?? {}))
    if (!meta.optional && manifest.peerDependencies?.[d]) queue.push({ dep: d, from: dir, optional: true });
}
for (const dir of [...dirs].sort()) {
  const rel = dir.slice(root.length + 1);
  // A nested copy sits inside its parent's folder: copied once, without the parent's other nested packages.
  cpSync(dir, join(tree, 'lib', rel), { recursive: true, dereference: true, filter: (src) => src === dir || !src.startsWith(join(dir, 'node_modules')) });
}

// version.ts reads the version from the package.json one level above the bundle.
writeFileSync(join(tree, 'package.json'), `${JSON.stringify({ name: 'fleetdesk', version, private: true, type: 'module' }, null, 2)}\n`);
writeFileSync(join(tree, 'VERSION'), `${version}\n`);
mkdirSync(join(tree, 'bin'));
mkdirSync(join(tree, 'share', 'docs'), { recursive: true });
cpSync(join(root, 'deploy', 'agent', 'fleetdesk-agent'), join(tree, 'bin', 'fleetdesk-agent'));
cpSync(join(root, 'deploy', 'agent', 'install.sh'), join(tree, 'install.sh'));
cpSync(join(root, 'deploy', 'agent', 'uninstall.sh'), join(tree, 'uninstall.sh'));
cpSync(join(root, 'deploy', 'fleetdesk-agent.service'), join(tree, 'share', 'fleetdesk-agent.service'));
cpSync(join(root, 'docs', 'agent.example.yaml'), join(tree, 'share', 'agent.example.yaml'));
for (const doc of ['install-agent.md', 'agent.md', 'configuration.md']) cpSync(join(root, 'docs', doc), join(tree, 'share', 'docs', doc));
for (const exe of ['bin/fleetdesk-agent', 'install.sh', 'uninstall.sh']) chmodSync(join(tree, exe), 0o755);

const tarball = join(out, `${name}-linux.tar.gz`);
rmSync(tarball, { force: true });
execFileSync('tar', ['--owner=0', '--group=0', '-C', stage, '-czf', tarball, name]);
console.log(`package-agent: ${tarball}`);

// The .deb: the same tree under /opt/fleetdesk-agent, the unit in /lib/systemd/system.
if (process.env.FLEETDESK_PACKAGE_DEB !== 'no' && existsSync('/usr/bin/dpkg-deb')) {
  const deb = join(stage, 'deb');
  const prefix = join(deb, 'opt', 'fleetdesk-agent');
  mkdirSync(dirname(prefix), { recursive: true });
  cpSync(tree, prefix, { recursive: true });
  rmSync(join(prefix, 'install.sh'));
  rmSync(join(prefix, 'uninstall.sh'));
  mkdirSync(join(deb, 'lib', 'systemd', 'system'), { recursive: true });
  cpSync(join(root, 'deploy', 'fleetdesk-agent.service'), join(deb, 'lib', 'systemd', 'system', 'fleetdesk-agent.service'));
  mkdirSync(join(deb, 'usr', 'bin'), { recursive: true });
  symlinkSync('/opt/fleetdesk-agent/bin/fleetdesk-agent', join(deb, 'usr', 'bin', 'fleetdesk-agent'));
  mkdirSync(join(deb, 'DEBIAN'));
  const sizeKiB = Number(execFileSync('du', ['-sk', prefix]).toString().split('\t')[0]);
  writeFileSync(
    join(deb, 'DEBIAN', 'control'),
    [
      'Package: fleetdesk-agent',
      `Version: ${version}`,
      'Architecture: all',
      'Maintainer: FleetDesk <support@fleetdesk.example>',
      'Depends: nodejs (>= 20.19), adduser',
      `Installed-Size: ${sizeKiB}`,
      'Section: admin',
      'Priority: optional',
      'Description: FleetDesk agent: printer/MFP monitoring over SNMP and IPP',
      ' Discovers and polls printers in an office network and reports their faults,',
      ' supplies and counters to a FleetDesk server over MQTT.',
      '',
    ].join('\n'),
  );
  for (const script of ['postinst', 'prerm', 'postrm']) {
    cpSync(join(root, 'deploy', 'agent', `deb-${script}`), join(deb, 'DEBIAN', script));
    chmodSync(join(deb, 'DEBIAN', script), 0o755);
  }
  const debFile = join(out, `fleetdesk-agent_${version}_all.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', deb, debFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(`package-agent: ${debFile}`);
}
rmSync(stage, { recursive: true, force: true });
