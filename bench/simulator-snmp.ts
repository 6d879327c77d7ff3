/**
 * SNMP requests per second of `fleetdesk simulate`, side by side with snmpsimd (the Debian peer)
 * and net-snmp's own Agent, all serving the same recording on loopback in the same run.
 *
 * Method: each server runs in its own process pinned to one core (taskset -c 1 when available);
 * this process is the load generator. It keeps a fixed window of requests in flight over one
 * UDP socket, sends a new request for every valid response (Response-PDU, error-status 0), and
 * counts valid responses during a bounded measuring period after a short warm-up.
 * Workloads: GET of sysDescr.0 (one varbind), and GETBULK (max-repetitions 10) of the
 * prtMarkerSuppliesTable. net-snmp's Agent only serves the system-group scalars (GET only).
 *
 * Usage: npx tsx bench/simulator-snmp.ts [--seconds 3] [--window 16] [--recording jetdirect_m880] [--write]
 *   --write  replaces the "## Simulator" section of docs/benchmarks.md with the results.
 */
import { createSocket } from 'node:dgram';
import { chmodSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { OID } from '../mibs/oids.generated.js';
import { encodeOidContent, parseOid, readTlv, TAG, tlv } from '../agent/simulator/ber.js';
import { freeUdpPort, makeTempDir, requireProgram, startPeer, type PeerProcess } from '../test/harness/peers.js';
import { REPO_ROOT, CORPUS_DIR } from '../test/harness/repo.js';

interface Args {
  seconds: number;
  window: number;
  recording: string;
  write: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seconds: 3, window: 16, recording: 'jetdirect_m880', write: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--write') args.write = true;
    else if (a === '--seconds') args.seconds = Math.min(30, Math.max(0.5, Number(argv[++i])));
    else if (a === '--window') args.window = Math.min(256, Math.max(1, Number(argv[++i])));
    else if (a === '--recording') args.recording = String(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

const int = (n: number) => tlv(TAG.integer, Buffer.from([n]));
/** A request with a 4-byte request-id placeholder, and the offset of those 4 bytes. */
function buildRequest(community: string, pduTag: number, oid: string, nonRepeaters = 0, maxRepetitions = 0): { packet: Buffer; ridOffset: number } {
  const marker = Buffer.from([0x5a, 0x5a, 0x5a, 0x5a]);
  const varbind = tlv(TAG.sequence, Buffer.concat([tlv(TAG.oid, encodeOidContent(parseOid(oid))), Buffer.from([TAG.null, 0])]));
  const pdu = tlv(pduTag, Buffer.concat([tlv(TAG.integer, marker), int(nonRepeaters), int(maxRepetitions), tlv(TAG.sequence, varbind)]));
  const packet = tlv(TAG.sequence, Buffer.concat([int(1), tlv(TAG.octetString, Buffer.from(community, 'latin1')), pdu]));
  return { packet, ridOffset: packet.indexOf(marker) };
}

/** True for a Response-PDU with error-status 0. */
function validResponse(buf: Buffer): boolean {
  try {
    const msg = readTlv(buf, 0, buf.length);
    const ver = readTlv(buf, msg.start, msg.end);
    const comm = readTlv(buf, ver.next, msg.end);
    const pdu = readTlv(buf, comm.next, msg.end);
    if (pdu.tag !== TAG.response) return false;
    const rid = readTlv(buf, pdu.start, pdu.end);
    const status = readTlv(buf, rid.next, pdu.end);
    return status.end - status.start === 1 && buf[status.start] === 0;
  } catch {
    return false;
  }
}

interface Measurement {
  responses: number;
  invalid: number;
  seconds: number;
  perSecond: number;
}

type Request = { packet: Buffer; ridOffset: number };

/** Sends `requests` round-robin (one per device when they differ by community). */
async function measure(port: number, requests: Request | Request[], seconds: number, window: number): Promise<Measurement> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.connect(port, '127.0.0.1', () => r()));
  const list = (Array.isArray(requests) ? requests : [requests]).map((r) => ({ packet: Buffer.from(r.packet), ridOffset: r.ridOffset }));
  let next = 0;
  let rid = 0x01000000;
  let measuring = false;
  let responses = 0;
  let invalid = 0;
  let seen = 0;
  const send = () => {
    rid = rid >= 0x7ffffff0 ? 0x01000000 : rid + 1;
    const r = list[next]!;
    next = (next + 1) % list.length;
    r.packet.writeUInt32BE(rid, r.ridOffset);
    socket.send(r.packet);
  };
  socket.on('message', (msg) => {
    seen++;
    if (validResponse(msg)) {
      if (measuring) responses++;
    } else if (measuring) invalid++;
    send();
  });
  // Lost datagrams shrink the window: refill when nothing came back for a while.
  let lastSeen = -1;
  const refill = setInterval(() => {
    if (seen === lastSeen) for (let i = 0; i < window; i++) send();
    lastSeen = seen;
  }, 100);
  for (let i = 0; i < window; i++) send();
  await new Promise((r) => setTimeout(r, 500)); // warm-up (JIT, caches)
  measuring = true;
  const started = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(refill);
  socket.close();
  return { responses, invalid, seconds: elapsed, perSecond: responses / elapsed };
}

/** Runs `path` (absolute) pinned to core 1 through taskset when there are two cores or more. */
function pinned(path: string, args: string[]): { program: string; args: string[]; pinned: boolean } {
  if (cpus().length >= 2) {
    try {
      requireProgram('taskset', 'util-linux');
      return { program: 'taskset', args: ['-c', '1', path, ...args], pinned: true };
    } catch {
      // not installed: run unpinned
    }
  }
  return { program: basename(path), args, pinned: false };
}

function snmpAnswers(port: number, community: string): Promise<boolean> {
  return new Promise((resolveAnswer) => {
    const socket = createSocket('udp4');
    const req = buildRequest(community, TAG.getRequest, `${OID.sysDescr}.0`);
    req.packet.writeUInt32BE(0x01020304, req.ridOffset);
    const timer = setTimeout(() => {
      socket.close();
      resolveAnswer(false);
    }, 300);
    socket.on('message', () => {
      clearTimeout(timer);
      socket.close();
      resolveAnswer(true);
    });
    socket.send(req.packet, port, '127.0.0.1');
  });
}

async function startNode(name: string, script: string[], port: number, community: string): Promise<PeerProcess> {
  const node = process.execPath;
  const p = pinned(node, ['--import', 'tsx', ...script]);
  return startPeer({
    name,
    program: p.program,
    debPackage: p.pinned ? 'util-linux' : 'nodejs',
    args: p.args,
    port,
    cwd: REPO_ROOT,
    env: { FLEETDESK_LOG_LEVEL: 'warn', FLEETDESK_LOG_FORMAT: 'json' },
    ready: () => snmpAnswers(port, community),
  });
}

async function startSnmpsimPinned(dataDir: string, community: string): Promise<{ peer: PeerProcess; remove: () => void }> {
  const port = await freeUdpPort();
  const cache = makeTempDir('bench-snmpsim');
  chmodSync(cache.path, 0o777); // snmpsimd drops to nobody when started as root
  const snmpsimd = requireProgram('snmpsimd', 'snmpsim');
  const asRoot = process.getuid?.() === 0;
  const p = pinned(snmpsimd, [
    `--data-dir=${dataDir}`,
    `--agent-udpv4-endpoint=127.0.0.1:${port}`,
    `--cache-dir=${cache.path}`,
    '--logging-method=null',
    ...(asRoot ? ['--process-user=nobody', '--process-group=nogroup'] : []),
  ]);
  const peer = await startPeer({
    name: 'snmpsimd',
    program: p.program,
    debPackage: 'snmpsim',
    args: p.args,
    port,
    timeoutMs: 60_000,
    ready: () => snmpAnswers(port, community),
  });
  return { peer, remove: cache.remove };
}

/** Synthetic devices for the many-devices workload (community = device id). */
const FLEET = 1000;

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const source = join(CORPUS_DIR, 'snmprec', `${args.recording}.snmprec`);
  if (!existsSync(source)) throw new Error(`no recording ${source}`);
  const data = makeTempDir('bench-sim-data');
  // snmpsimd needs to be able to read the folder after dropping privileges.
  copyFileSync(source, join(data.path, `${args.recording}.snmprec`));
  chmodSync(data.path, 0o755);
  chmodSync(join(data.path, `${args.recording}.snmprec`), 0o644);
  const community = args.recording;
  const getReq = buildRequest(community, TAG.getRequest, `${OID.sysDescr}.0`);
  const bulkReq = buildRequest(community, TAG.getBulkRequest, OID.prtMarkerSuppliesEntry, 0, 10);

  const peers: PeerProcess[] = [];
  const cleanups: (() => void)[] = [data.remove];
  const results: { server: string; workload: string; m: Measurement }[] = [];
  try {
    const simPort = await freeUdpPort();
    const sim = await startNode(
      'fleetdesk simulate',
      ['bin/fleetdesk.mjs', 'simulate', '--snmprec-dir', data.path, '--snmp-port', String(simPort), '--no-ipp'],
      simPort,
      community,
    );
    peers.push(sim);
    const fleetPort = await freeUdpPort();
    const fleet = await startNode(
      'fleetdesk simulate',
      ['bin/fleetdesk.mjs', 'simulate', '--devices', String(FLEET), '--snmp-port', String(fleetPort), '--no-ipp'],
      fleetPort,
      'dev-0001',
    );
    peers.push(fleet);
    const agentPort = await freeUdpPort();
    const agent = await startNode('net-snmp Agent', ['bench/simulator-netsnmp-agent.ts', String(agentPort), source, community], agentPort, community);
    peers.push(agent);
    const snmpsim = await startSnmpsimPinned(data.path, community);
    peers.push(snmpsim.peer);
    cleanups.push(snmpsim.remove);

    const fleetReqs = Array.from({ length: FLEET }, (_, i) => buildRequest(`dev-${String(i + 1).padStart(4, '0')}`, TAG.getRequest, `${OID.sysDescr}.0`));
    const plan: [string, number, string, Request | Request[]][] = [
      ['fleetdesk simulate', simPort, 'GET sysDescr.0', getReq],
      ['snmpsimd', snmpsim.peer.port, 'GET sysDescr.0', getReq],
      ['net-snmp Agent', agentPort, 'GET sysDescr.0', getReq],
      ['fleetdesk simulate', simPort, 'GETBULK supplies ×10', bulkReq],
      ['snmpsimd', snmpsim.peer.port, 'GETBULK supplies ×10', bulkReq],
      [`fleetdesk simulate, ${FLEET} devices`, fleetPort, 'GET sysDescr.0, round-robin', fleetReqs],
    ];
    for (const [server, port, workload, req] of plan) {
      const m = await measure(port, req, args.seconds, args.window);
      results.push({ server, workload, m });
      process.stdout.write(
        `${server.padEnd(20)} ${workload.padEnd(22)} ${fmt(m.perSecond).padStart(8)} req/s  (${m.responses} valid, ${m.invalid} invalid, ${m.seconds.toFixed(2)} s)\n`,
      );
    }
  } finally {
    for (const p of peers.reverse()) await p.stop();
    for (const c of cleanups) c();
  }

  const rate = (server: string, workload: string) => results.find((r) => r.server === server && r.workload === workload)?.m.perSecond ?? NaN;
  const lines: string[] = [];
  lines.push('## Simulator');
  lines.push('');
  lines.push(
    `SNMP requests per second answered by \`fleetdesk simulate\`, compared in the same run with snmpsimd (Debian \`snmpsim\`) and net-snmp's \`Agent\` serving the same recording (\`${args.recording}.snmprec\`, community \`${community}\`).`,
  );
  lines.push('');
  lines.push(
    'Method (`npx tsx bench/simulator-snmp.ts --write`): every server is its own process, pinned to one core with `taskset -c 1`; the benchmark process generates load on loopback,',
  );
  lines.push(
    `keeping ${args.window} requests in flight on one UDP socket, sending a new request for each valid response (Response-PDU, error-status 0) and counting valid responses for ${args.seconds} s after a 0.5 s warm-up.`,
  );
  lines.push(
    "GET asks for sysDescr.0 (one varbind); GETBULK asks for 10 repetitions from prtMarkerSuppliesEntry (10 varbinds per answer). net-snmp's Agent serves only the system-group scalars, so it is measured on GET only.",
  );
  lines.push(
    `The last row is a load-test shape: ${FLEET} synthetic devices on one port, each request to the next device's community (each device's view is rendered on its first request, inside the warm-up).`,
  );
  lines.push(
    `The machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, shared with other work (load average ${loadavg()[0]!.toFixed(1)} at the end of this run): absolute figures vary up to 2× between runs, so compare the ratios within one run.`,
  );
  lines.push(
    "net-snmp's Agent is close on single-scalar GETs, but it is not what the simulator uses: it cannot replay a recording row for row (every table needs a typed provider, recordings have duplicates and special values), nor put many devices behind one port by community.",
  );
  lines.push('');
  lines.push('| server | workload | requests/s | vs snmpsimd |');
  lines.push('|---|---|---:|---:|');
  for (const r of results) {
    const base = rate('snmpsimd', r.workload);
    lines.push(`| ${r.server} | ${r.workload} | ${fmt(r.m.perSecond)} | ${Number.isNaN(base) ? '–' : `${(r.m.perSecond / base).toFixed(1)}×`} |`);
  }
  lines.push('');
  const simGet = rate('fleetdesk simulate', 'GET sysDescr.0');
  lines.push(
    `Target: at least 20,000 requests/s on one core — ${simGet >= 20_000 ? 'met' : 'NOT met'} (${fmt(simGet)} GET/s; the load generator shares the other core, so this is a lower bound).`,
  );
  lines.push(`Measured ${new Date().toISOString().slice(0, 10)}.`);
  lines.push('');
  const section = lines.join('\n');
  process.stdout.write(`\n${section}`);

  if (args.write) {
    const docPath = resolve(REPO_ROOT, 'docs', 'benchmarks.md');
    const existing = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
    const start = existing.indexOf('\n## Simulator\n');
    let updated: string;
    if (start >= 0) {
      const rest = existing.slice(start + 1);
      const next = rest.indexOf('\n## ', 1);
      updated = existing.slice(0, start + 1) + section + (next >= 0 ? rest.slice(next + 1) : '');
    } else {
      updated = `${existing.replace(/\n*$/, '\n\n')}${section}`;
    }
    writeFileSync(docPath, updated);
    process.stdout.write(`\nwrote the "## Simulator" section of ${docPath}\n`);
  }
  if (!(simGet > 0)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
