/**
 * CPU per device poll: the agent's SNMP collection (collect + normalise, via the runtime's
 * ProtocolCollector) versus Prometheus snmp_exporter (Debian `prometheus-snmp-exporter`) walking
 * the same OIDs of the same simulated device, side by side in one run.
 *
 * The exporter module is generated here from what the agent reads (the OID names of
 * mibs/oids.generated.ts, types taken from one real collection), so both do the same walks.
 *
 *   node --import tsx bench/agent-vs-snmp-exporter.ts [polls=2000] [warmup=200]
 *
 * Bounded: `warmup` + `polls` sequential polls each, and 120 s per side at most. Prints one JSON
 * line. The warm-up (same count on both sides) lets V8 optimise the agent's hot code; with only
 * a few warm-up polls the agent's figure includes JIT compilation.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AgentConfig } from '../agent/agentConfig.js';
import { collectSnmp } from '../agent/collect/snmp/collector.js';
import { isUnder } from '../agent/collect/snmp/raw.js';
import { ProtocolCollector } from '../agent/runtime/protocolCollector.js';
import { parseTarget } from '../agent/runtime/targets.js';
import { OID } from '../mibs/oids.generated.js';
import { systemClock } from '../shared/clock.js';
import { freeTcpPort, freeUdpPort, makeTempDir, requireProgram, tcpAnswers, waitUntil } from '../test/harness/peers.js';

const polls = Number(process.argv[2] ?? 2000);
const warmup = Number(process.argv[3] ?? 200);
const repoRoot = resolve(import.meta.dirname, '..');
const exporterBin = requireProgram('prometheus-snmp-exporter', 'prometheus-snmp-exporter');

function procCpuMs(pid: number): number {
  // utime + stime, in clock ticks (USER_HZ = 100 on Linux).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    get(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
    }).on('error', fail);
  });
}

const snmpPort = await freeUdpPort();
const sim = spawn(
  process.execPath,
  ['--import', 'tsx', join(repoRoot, 'bin/run.ts'), 'simulate', '--devices', '1', '--snmp-port', String(snmpPort), '--no-ipp', '--json'],
  {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FLEETDESK_LOG_LEVEL: 'warn' },
  },
);
const tmp = makeTempDir('bench-exporter');
let exporter: ReturnType<typeof spawn> | null = null;
try {
  const community = await new Promise<string>((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error('simulator did not start')), 60_000);
    sim.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      try {
        const parsed = JSON.parse(out.slice(out.indexOf('{'))) as { devices: { community: string }[] };
        clearTimeout(timer);
        ok(parsed.devices[0]!.community);
      } catch {
        // incomplete
      }
    });
  });

  // What the agent reads, with types, from one collection.
  const endpoint = { host: '127.0.0.1', port: snmpPort, credential: { version: '2c' as const, community }, timeoutMs: 2000, retries: 1, maxInFlight: 2 };
  const sample = await collectSnmp(endpoint);
  const walkRoots = [
    'hrDeviceType',
    'hrDeviceDescr',
    'hrDeviceStatus',
    'hrPrinterEntry',
    'prtGeneralPrinterName',
    'prtGeneralSerialNumber',
    'prtAlertCriticalEvents',
    'prtAlertAllEvents',
    'prtMarkerCounterUnit',
    'prtMarkerLifeCount',
    'prtMarkerPowerOnCount',
    'prtMarkerSuppliesEntry',
    'prtMarkerColorantValue',
    'prtInputMaxCapacity',
    'prtInputCurrentLevel',
    'prtInputMediaName',
    'prtInputName',
    'prtInputDescription',
    'ifType',
    'ifPhysAddress',
    'prtAlertEntry',
  ] as const;
  const getNames = ['sysDescr', 'sysObjectID', 'sysUpTime', 'sysContact', 'sysName', 'sysLocation'] as const;
  const metrics: string[] = [];
  const seenColumns = new Set<string>();
  for (const root of walkRoots) {
    const base = OID[root];
    const isEntry = root.endsWith('Entry');
    for (const [oid, value] of Object.entries(sample.values)) {
      if (!isUnder(oid, base)) continue;
      const rest = oid.slice(base.length + 1).split('.');
      const column = isEntry ? `${base}.${rest[0]}` : base;
      const indexParts = isEntry ? rest.length - 1 : rest.length;
      if (seenColumns.has(column)) continue;
      seenColumns.add(column);
      const printable = (hex: string) => /^[\x20-\x7e]*$/.test(Buffer.from(hex, 'hex').toString('latin1'));
      const type =
        value.type === 'octets' || value.type === 'opaque'
          ? printable(value.hex)
            ? 'DisplayString'
            : 'OctetString'
          : value.type === 'oid' || value.type === 'ipAddress'
            ? 'DisplayString'
            : 'gauge';
      metrics.push(
        `  - name: c_${column.replace(/\./g, '_')}\n    oid: ${column}\n    type: ${type}\n    indexes:\n${Array.from({ length: indexParts }, (_, i) => `    - labelname: i${i}\n      type: gauge`).join('\n')}`,
      );
    }
  }
  for (const g of getNames) metrics.push(`  - name: g_${g}\n    oid: ${OID[g]}\n    type: DisplayString`);
  const yml = [
    'fleetdesk:',
    '  version: 2',
    '  auth:',
    `    community: ${community}`,
    '  max_repetitions: 20',
    '  retries: 1',
    '  timeout: 2s',
    '  walk:',
    ...walkRoots.map((r) => `  - ${OID[r]}`),
    '  get:',
    ...getNames.map((g) => `  - ${OID[g]}.0`),
    '  metrics:',
    ...metrics,
    '',
  ].join('\n');
  const configPath = join(tmp.path, 'snmp.yml');
  writeFileSync(configPath, yml);

  // Side 1: the agent's collector, sequential polls of the device, CPU of this process.
  const config = AgentConfig.parse({ tenant: 'bench', agentId: 'a1', broker: { url: 'mqtt://127.0.0.1:1' } });
  const collector = new ProtocolCollector(config, systemClock);
  const target = parseTarget({ address: `snmp://${community}@127.0.0.1:${snmpPort}` });
  for (let i = 0; i < warmup; i++) await collector.collect(target, new AbortController().signal); // warm-up (JIT)
  const agentDeadline = performance.now() + 120_000;
  const cpu0 = process.cpuUsage();
  const a0 = performance.now();
  let agentPolls = 0;
  let agentFailures = 0;
  while (agentPolls < polls && performance.now() < agentDeadline) {
    const r = await collector.collect(target, new AbortController().signal);
    if (!r.ok) agentFailures++;
    agentPolls++;
  }
  const agentWall = performance.now() - a0;
  const agentCpu = process.cpuUsage(cpu0);
  collector.close();

  // Side 2: snmp_exporter scraping the same device with the same OIDs.
  const port = await freeTcpPort();
  exporter = spawn(exporterBin, [`--config.file=${configPath}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exporterOut = '';
  exporter.stderr?.on('data', (c: Buffer) => (exporterOut = (exporterOut + c.toString()).slice(-4000)));
  await waitUntil(() => tcpAnswers(port), 'snmp_exporter to listen', 20_000);
  const url = `http://127.0.0.1:${port}/snmp?module=fleetdesk&target=127.0.0.1:${snmpPort}`;
  const first = await httpGet(url);
  if (first.status !== 200) throw new Error(`snmp_exporter scrape failed (${first.status}): ${first.body.slice(0, 500)} ${exporterOut}`);
  const series = first.body.split('\n').filter((l) => /^(c|g)_/.test(l)).length;
  for (let i = 0; i < warmup; i++) await httpGet(url);
  const exporterDeadline = performance.now() + 120_000;
  const e0 = procCpuMs(exporter.pid!);
  const w0 = performance.now();
  let scrapes = 0;
  while (scrapes < polls && performance.now() < exporterDeadline) {
    const r = await httpGet(url);
    if (r.status !== 200) throw new Error(`scrape ${scrapes} failed: ${r.status}`);
    scrapes++;
  }
  const exporterWall = performance.now() - w0;
  const exporterCpuMs = procCpuMs(exporter.pid!) - e0;

  const agentMs = (agentCpu.user + agentCpu.system) / 1000 / agentPolls;
  const exporterMs = exporterCpuMs / scrapes;
  console.log(
    JSON.stringify({
      warmup,
      valuesPerPoll: Object.keys(sample.values).length,
      snmpRequestsPerPoll: sample.requests,
      exporterSeries: series,
      agentPolls,
      agentFailures,
      agentCpuMsPerPoll: Number(agentMs.toFixed(3)),
      agentWallMsPerPoll: Number((agentWall / agentPolls).toFixed(2)),
      exporterScrapes: scrapes,
      exporterCpuMsPerScrape: Number(exporterMs.toFixed(3)),
      exporterWallMsPerScrape: Number((exporterWall / scrapes).toFixed(2)),
      agentToExporterCpuRatio: Number((agentMs / exporterMs).toFixed(2)),
    }),
  );
} finally {
  exporter?.kill('SIGTERM');
  sim.kill('SIGTERM');
  tmp.remove();
}
