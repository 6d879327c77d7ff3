/**
 * `startSimulator(options)`: the programmatic entry point used by `fleetdesk simulate`, demos,
 * the agent's tests and the benchmarks. Builds the device catalog, starts the SNMP (UDP) and IPP
 * (HTTP) servers on loopback, and follows the scenario on the injected clock, reporting each
 * change (a jam raised, a device going silent…) as it happens.
 */
import { isIP } from 'node:net';
import { systemClock, type Clock, type TimerHandle } from '../../shared/clock.js';
import { createLogger, type Logger } from '../../shared/logging.js';
import { buildCatalog } from './deviceCatalog.js';
import type { DeviceState } from './deviceModel.js';
import type { TrackedFault } from './faultHistory.js';
import { startIppServer, type IppServer } from './ippServer.js';
import { loadScenario, nextBoundary, parseScenario, type Scenario, type ScenarioInput } from './scenario.js';
import { SimulatedDevice } from './simulatedDevice.js';
import { startSnmpServer, type SnmpServer, type SnmpStats } from './snmpServer.js';

export interface SimulatorOptions {
  /** Synthetic devices (dev-0001…). Default 10, or 0 when snmprecDir is given. */
  devices?: number;
  /** Built-in model names to cycle through; default all. */
  models?: readonly string[];
  /** Folder of .snmprec recordings: one device each, id = file name. */
  snmprecDir?: string;
  /** Built-in scenario name, scenario file path, or a scenario object (as in a file: "30s" durations). Default "steady". */
  scenario?: string | ScenarioInput;
  /** Loopback address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Shared SNMP port (community = device id); 0 = any free port. Default 0. */
  snmpPort?: number;
  /** If set, device i also answers on UDP snmpPortBase + i (community "public" or its id). */
  snmpPortBase?: number;
  /** IPP port; 0 = any free port; false = no IPP server. Default 0. */
  ippPort?: number | false;
  clock?: Clock;
  logger?: Logger;
  /** Called for every scenario change (also logged). */
  onChange?: (change: ScenarioChange) => void;
}

export interface SimulatorDeviceInfo {
  readonly id: string;
  readonly model: string;
  readonly manufacturer: string;
  readonly modelName: string;
  /** SNMP community on the shared port. */
  readonly community: string;
  readonly snmpPort: number;
  /** Own SNMP port (community "public"), when per-device ports are on. */
  readonly devicePort?: number;
  /** Printer URI for IPP, when the IPP server is on. */
  readonly ippUrl?: string;
}

export interface ScenarioChange {
  readonly deviceId: string;
  readonly elapsedMs: number;
  readonly what: string;
}

export interface RunningSimulator {
  readonly host: string;
  readonly snmpPort: number;
  readonly ippPort: number | null;
  readonly devices: readonly SimulatorDeviceInfo[];
  readonly scenario: Scenario;
  /** Recording lines that could not be used (the rest of each file is served). */
  readonly warnings: readonly string[];
  /** Current state and faults of a device (for tests and the demo UI). */
  deviceState(id: string): { state: DeviceState; faults: readonly TrackedFault[] } | undefined;
  stats(): { snmp: SnmpStats; ipp: IppServer['stats'] | null };
  stop(): Promise<void>;
}

export class SimulatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulatorError';
  }
}

export function isLoopback(host: string): boolean {
  if (host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

function checkPort(name: string, port: number | undefined): void {
  if (port === undefined) return;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SimulatorError(`${name}: expected a port from 0 to 65535, found ${port}`);
}

/** Describes what changed between two states of one device, for the change log. */
function describeChanges(
  before: { state: DeviceState; faults: readonly TrackedFault[] },
  after: { state: DeviceState; faults: readonly TrackedFault[] },
): string[] {
  const out: string[] = [];
  if (before.state.silent !== after.state.silent) out.push(after.state.silent ? 'goes silent' : 'answers again');
  if (before.state.mode !== after.state.mode) out.push(`now ${after.state.mode}`);
  const was = new Set(before.faults.map((f) => f.key));
  const is = new Set(after.faults.map((f) => f.key));
  for (const f of after.faults) if (!was.has(f.key)) out.push(`raised: ${f.description} (${f.ippReason})`);
  for (const f of before.faults) if (!is.has(f.key)) out.push(`cleared: ${f.description}`);
  return out;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new SimulatorError(`host: the simulator listens on loopback only (127.0.0.0/8 or ::1), found ${host}`);
  checkPort('snmpPort', options.snmpPort);
  checkPort('snmpPortBase', options.snmpPortBase);
  if (options.ippPort !== false) checkPort('ippPort', options.ippPort);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ name: 'simulator' });
  const scenario =
    typeof options.scenario === 'object' ? parseScenario(options.scenario, `"${options.scenario.name}"`) : loadScenario(options.scenario ?? 'steady');
  const catalog = buildCatalog({ devices: options.devices ?? (options.snmprecDir ? 0 : 10), models: options.models, snmprecDir: options.snmprecDir });
  if (catalog.entries.length === 0) throw new SimulatorError('no devices to simulate: give devices > 0 or an snmprec folder with recordings');
  if (options.snmpPortBase !== undefined && options.snmpPortBase + catalog.entries.length - 1 > 65535) {
    throw new SimulatorError(`snmpPortBase: ${catalog.entries.length} devices from port ${options.snmpPortBase} would go past 65535`);
  }
  for (const w of catalog.warnings) logger.warn(w);

  const startedAt = clock.now();
  const devices = catalog.entries.map(
    (e) => new SimulatedDevice({ id: e.state.id, ordinal: e.ordinal, model: e.state.model }, e.state, scenario, clock, startedAt, e.uptimeAtStart),
  );
  const byId = new Map(devices.map((d) => [d.id, d]));

  const snmp: SnmpServer = await startSnmpServer({ host, port: options.snmpPort ?? 0, portBase: options.snmpPortBase, devices, logger });
  let ipp: IppServer | null = null;
  try {
    if (options.ippPort !== false) ipp = await startIppServer({ host, port: options.ippPort ?? 0, devices, logger });
  } catch (err) {
    await snmp.close();
    throw err;
  }

  // Follow the scenario's timeline: at each boundary, report what changed on which device.
  let timer: TimerHandle | null = null;
  let stopped = false;
  let last = new Map(devices.map((d) => [d.id, d.current()]));
  const onBoundary = () => {
    timer = null;
    if (stopped) return;
    const elapsed = clock.now() - startedAt;
    const next = new Map<string, ReturnType<SimulatedDevice['current']>>();
    for (const d of devices) {
      const now = d.current();
      next.set(d.id, now);
      for (const what of describeChanges(last.get(d.id)!, now)) {
        const change = { deviceId: d.id, elapsedMs: elapsed, what };
        logger.info({ device: d.id, t: `${(elapsed / 1000).toFixed(1)}s` }, `scenario: ${d.id} ${what}`);
        options.onChange?.(change);
      }
    }
    last = next;
    schedule();
  };
  const schedule = () => {
    const elapsed = clock.now() - startedAt;
    const at = nextBoundary(scenario, elapsed);
    if (at === null || stopped) return;
    // +1 ms so the device's time quantum has begun when we look.
    timer = clock.setTimeout(onBoundary, at - elapsed + 1);
  };
  schedule();

  const info: SimulatorDeviceInfo[] = devices.map((d) => ({
    id: d.id,
    model: d.ref.model,
    manufacturer: d.initial.identity.manufacturer,
    modelName: d.initial.identity.model,
    community: d.id,
    snmpPort: snmp.port,
    ...(snmp.devicePorts.has(d.id) ? { devicePort: snmp.devicePorts.get(d.id)! } : {}),
    ...(ipp ? { ippUrl: ipp.printerUri(d.id) } : {}),
  }));

  return {
    host,
    snmpPort: snmp.port,
    ippPort: ipp?.port ?? null,
    devices: info,
    scenario,
    warnings: catalog.warnings,
    deviceState: (id) => byId.get(id)?.current(),
    stats: () => ({ snmp: snmp.stats, ipp: ipp?.stats ?? null }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (timer) clock.clearTimeout(timer);
      await Promise.all([snmp.close(), ipp?.close()]);
    },
  };
}
