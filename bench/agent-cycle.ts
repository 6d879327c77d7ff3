/**
 * One agent, N simulated devices (project simulator, separate process), 60 s interval, real
 * SNMP collector, reporting to a real Mosquitto: does one full poll cycle fit in the interval?
 * Reports the cycle time (first poll start to the N-th poll done), the agent's CPU time per
 * device poll (collect + normalise + diff + outbox + publish) and its peak RSS.
 *
 *   node --expose-gc --import tsx bench/agent-cycle.ts [devices=10000] [maxSeconds=180]
 *
 * Bounded in time: gives up after maxSeconds. Prints one JSON line.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AgentConfig } from '../agent/agentConfig.js';
import { AgentRuntime } from '../agent/runtime/agentRuntime.js';
import { ProtocolCollector } from '../agent/runtime/protocolCollector.js';
import { systemClock } from '../shared/clock.js';
import { createLogger } from '../shared/logging.js';
import { freeUdpPort, makeTempDir, startMosquitto } from '../test/harness/peers.js';

const devices = Number(process.argv[2] ?? 10_000);
const maxSeconds = Number(process.argv[3] ?? 180);
const repoRoot = resolve(import.meta.dirname, '..');

const port = await freeUdpPort();
const sim = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    join(repoRoot, 'bin/run.ts'),
    'simulate',
    '--devices',
    String(devices),
    '--snmp-port',
    String(port),
    '--no-ipp',
    '--json',
    '--scenario',
    'steady',
  ],
  {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FLEETDESK_LOG_LEVEL: 'warn' },
  },
);
const tmp = makeTempDir('bench-cycle');
const broker = await startMosquitto();
let runtime: AgentRuntime | null = null;
try {
  const list = await new Promise<{ devices: { id: string; community: string }[] }>((resolveList, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`simulator did not start within 120 s: ${out.slice(-500)}`)), 120_000);
    sim.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const start = out.indexOf('{');
      if (start < 0) return;
      try {
        const parsed = JSON.parse(out.slice(start)) as { devices: { id: string; community: string }[] };
        clearTimeout(timer);
        resolveList(parsed);
      } catch {
        // not complete yet
      }
    });
    sim.once('exit', (code) => reject(new Error(`simulator exited with ${code}: ${out.slice(-500)}`)));
  });
  const config = AgentConfig.parse({
    tenant: 'bench',
    agentId: 'a1',
    broker: { url: broker.url, clientId: `bench-cycle-${process.pid}` },
    devices: list.devices.map((d) => ({ id: d.id, address: `snmp://${d.community}@127.0.0.1:${port}` })),
    polling: { interval: '60s', jitter: 0.1 },
    outbox: { dir: join(tmp.path, 'outbox') },
    health: { listen: '127.0.0.1:0' },
    log: { level: 'warn', format: 'json' },
  });
  const log = createLogger({ name: 'bench-agent', level: 'warn', format: 'json' });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  runtime = await AgentRuntime.start({ config, collector: new ProtocolCollector(config, systemClock), log, version: 'bench' });
  const count = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(runtime!.metrics())?.[1] ?? 0);
  while (count('fleetdesk_agent_polls_total') < devices && performance.now() - t0 < maxSeconds * 1000) {
    await new Promise((r) => setTimeout(r, 250));
  }
  const cycleMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const polls = count('fleetdesk_agent_polls_total');
  const failures = count('fleetdesk_agent_poll_failures_total');
  console.log(
    JSON.stringify({
      devices,
      polls,
      failures,
      cycleSeconds: Number((cycleMs / 1000).toFixed(1)),
      fitsIn60s: polls >= devices && cycleMs < 60_000,
      cpuMsPerPoll: Number(((cpu.user + cpu.system) / 1000 / Math.max(1, polls)).toFixed(3)),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      // Live heap after a full GC (run with --expose-gc), to tell retained memory from GC slack.
      heapAfterGcMiB: (() => {
        (globalThis as { gc?: () => void }).gc?.();
        return Math.round(process.memoryUsage().heapUsed / 1048576);
      })(),
      baselineNote: 'RSS includes ~108 MiB of Node + tsx loader with nothing polled',
    }),
  );
} finally {
  await runtime?.stop();
  sim.kill('SIGTERM');
  await broker.stop();
  tmp.remove();
}
