/**
 * CUPS's `ippeveprinter` (Debian package cups-ipp-utils) as a real IPP Everywhere printer on a free
 * loopback port, plus the system daemons it cannot start without: even with DNS-SD advertising
 * off (`-r off`) it needs a D-Bus system bus and avahi-daemon. `ensureDnsSdDaemons()` starts only
 * what is not already running and stops only what it started.
 *
 * The printer's web form sets supply levels: GET /supplies?supply0=N&supply1=M… (the first supply
 * is the waste receptacle, level = how full it is; then toner or inks). Above 90 % waste it raises
 * marker-waste-almost-full-report, at 100 % marker-waste-full-report; toner at or below 5 % raises
 * toner-low-report, at 0 toner-empty-report.
 */
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { LOOPBACK, freeTcpPort, makeTempDir, requireProgram, startPeer, tcpAnswers, waitUntil, type PeerProcess } from './peers.js';

const DBUS_SOCKET = '/run/dbus/system_bus_socket';
const DBUS_PID = '/run/dbus/pid';

function unixSocketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (!existsSync(path)) return resolve(false);
    const s = connect(path);
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(500, () => done(false));
  });
}

function avahiRunning(avahi: string): boolean {
  return spawnSync(avahi, ['--check'], { stdio: 'ignore' }).status === 0;
}

export interface DnsSdDaemons {
  /** Which daemons this call started (and `stop()` will stop). */
  readonly started: readonly ('dbus' | 'avahi')[];
  stop(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the D-Bus system bus and avahi-daemon if they are not running (needs root, as in CI). */
export async function ensureDnsSdDaemons(): Promise<DnsSdDaemons> {
  const dbus = requireProgram('dbus-daemon', 'dbus');
  const avahi = requireProgram('avahi-daemon', 'avahi-daemon');
  const started: ('dbus' | 'avahi')[] = [];
  let dbusPid: number | undefined;

  if (!(await unixSocketAnswers(DBUS_SOCKET))) {
    if (process.getuid?.() !== 0) throw new Error('the D-Bus system bus is not running and only root can start it (ippeveprinter needs it)');
    mkdirSync('/run/dbus', { recursive: true });
    // A stale pid file or socket from a dead bus makes dbus-daemon refuse to start.
    rmSync(DBUS_PID, { force: true });
    rmSync(DBUS_SOCKET, { force: true });
    const r = spawnSync(dbus, ['--system', '--fork', '--print-pid'], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`dbus-daemon --system failed (${r.status}): ${r.stderr}`);
    dbusPid = Number(r.stdout.trim().split(/\s+/)[0]);
    await waitUntil(() => unixSocketAnswers(DBUS_SOCKET), 'the D-Bus system bus socket', 10_000);
    started.push('dbus');
  }

  if (!avahiRunning(avahi)) {
    const r = spawnSync(avahi, ['--daemonize', '--no-drop-root', '--no-chroot', '--no-rlimits'], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`avahi-daemon --daemonize failed (${r.status}): ${r.stderr}`);
    await waitUntil(() => avahiRunning(avahi), 'avahi-daemon', 10_000);
    started.push('avahi');
  }

  return {
    started,
    stop: async () => {
      if (started.includes('avahi')) spawnSync(avahi, ['--kill'], { stdio: 'ignore', timeout: 10_000 });
      if (dbusPid !== undefined && Number.isInteger(dbusPid) && dbusPid > 1) {
        try {
          process.kill(dbusPid, 'SIGTERM');
        } catch {
          // already gone
        }
        const pid = dbusPid;
        await waitUntil(() => !isAlive(pid), 'dbus-daemon to exit', 5_000).catch(() => undefined);
      }
    },
  };
}

export interface IppEvePrinterOptions {
  /** Service (and printer-name) of the printer. */
  readonly name?: string;
  /** Colour printer with four inks; otherwise mono laser with black toner. */
  readonly color?: boolean;
}

export interface IppEvePrinter extends PeerProcess {
  /** ipp://127.0.0.1:<port>/ipp/print */
  readonly uri: string;
  /** ipps://127.0.0.1:<port>/ipp/print (same port; self-signed certificate) */
  readonly ippsUri: string;
  /** SHA-256 fingerprint of its self-signed certificate (known once an ipps connection made it create one). */
  certificateFingerprint(): string | undefined;
  /** Sets supply levels through the /supplies web form, in supply order (waste first). */
  setSupplyLevels(levels: readonly number[]): Promise<void>;
}

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: LOOPBACK, port, path, headers: { Host: `localhost:${port}` }, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
  });
}

export async function startIppEvePrinter(options: IppEvePrinterOptions = {}): Promise<IppEvePrinter> {
  requireProgram('ippeveprinter', 'cups-ipp-utils');
  const port = await freeTcpPort();
  const tmp = makeTempDir('ippeveprinter');
  const keys = join(tmp.path, 'ssl');
  const spool = join(tmp.path, 'spool');
  mkdirSync(keys);
  mkdirSync(spool);
  const name = options.name ?? 'FleetDeskTest';
  const peer = await startPeer({
    name: 'ippeveprinter',
    program: 'ippeveprinter',
    debPackage: 'cups-ipp-utils',
    // -n localhost: listen on the loopback addresses only; -r off: no DNS-SD advertising.
    args: [
      '-p',
      String(port),
      '-n',
      'localhost',
      '-r',
      'off',
      '-K',
      keys,
      '-d',
      spool,
      '-s',
      options.color ? '10,10' : '10,0',
      '-M',
      'FleetDesk',
      '-m',
      'Test Printer',
      name,
    ],
    port,
    cwd: tmp.path,
    ready: () => tcpAnswers(port),
  });
  return {
    ...peer,
    uri: `ipp://${LOOPBACK}:${port}/ipp/print`,
    ippsUri: `ipps://${LOOPBACK}:${port}/ipp/print`,
    certificateFingerprint: () => {
      const crt = join(keys, 'localhost.crt');
      return existsSync(crt) ? new X509Certificate(readFileSync(crt)).fingerprint256 : undefined;
    },
    setSupplyLevels: async (levels) => {
      const query = levels.map((l, i) => `supply${i}=${l}`).join('&');
      const res = await httpGet(port, `/supplies?${query}`);
      if (res.status !== 200) throw new Error(`ippeveprinter /supplies answered HTTP ${res.status}`);
    },
    stop: async () => {
      await peer.stop();
      tmp.remove();
    },
  };
}

/** `ipptool -tv <uri> get-printer-attributes.test` output as name → text value (ipptool's own formatting). */
export function ipptoolAttributes(uri: string): Map<string, string> {
  const ipptool = requireProgram('ipptool', 'cups-ipp-utils');
  const r = spawnSync(ipptool, ['-tv', '-T', '10', uri, 'get-printer-attributes.test'], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`ipptool failed (${r.status}): ${r.stdout.slice(-2000)}${r.stderr}`);
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^\s+([a-z0-9-]+) \(([^)]+)\) = (.*)$/.exec(line);
    if (m && !out.has(m[1]!)) out.set(m[1]!, m[3]!);
  }
  return out;
}
