/**
 * The one-command demo: the real server (embedded broker, local storage, tickets and SLA), the
 * device simulator with a mixed fleet and the `demo` scenario, and a real agent polling the
 * simulated printers over SNMP and IPP and reporting to the server over MQTT with its own
 * credentials. Nothing here is a shortcut around the product: every part is the one that ships.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AgentConfig } from '../../agent/agentConfig.js';
import { AgentRuntime } from '../../agent/runtime/agentRuntime.js';
import { ProtocolCollector } from '../../agent/runtime/protocolCollector.js';
import { startSimulator, type RunningSimulator } from '../../agent/simulator/simulator.js';
import { adminTokenFile } from '../../server/auth/apiTokens.js';
import { createAgentToken } from '../../server/broker/credentials.js';
import { ServerConfig } from '../../server/serverConfig.js';
import { startServerApp, type ServerApp } from '../../server/serverApp.js';
import { DEFAULT_IMPACT_SETTINGS } from '../../server/impact/impactRules.js';
import type { Notice } from '../../server/tickets/ticketPolicy.js';
import { systemClock } from '../../shared/clock.js';
import { DEMO_FORECAST_SETTINGS, scheduleDemoHistory } from './demoHistory.js';
import type { Logger } from '../../shared/logging.js';
import { VERSION } from '../../shared/version.js';

export const DEMO_TENANT = 'demo';
export const DEMO_AGENT = 'warsaw-hq';
/**
 * The demo's ticket quiet period: how long every fault of a ticket must stay cleared before the
 * ticket resolves by itself. Outside the demo it is 15 minutes; the demo's faults last one to three
 * minutes and recur every 10 (docs/simulator.md), so with 15 minutes no ticket would ever resolve
 * while someone watches. The server takes it as `tickets.quietPeriod`.
 */
export const DEMO_QUIET_PERIOD_MINUTES = 2;
/** Marks a data folder the demo created, so a rerun may clear it and nothing else. */
const MARKER = '.fleetdesk-demo';

export interface DemoOptions {
  devices: number;
  dataDir: string;
  httpPort: number;
  mqttPort: number;
  /** Seconds between polls of a device (the demo polls faster than the 60 s default). */
  pollSeconds: number;
  scenario: string;
  logger: Logger;
  onNotice?: (notice: Notice) => void;
  /** Days of supply history backfilled behind the live readings so forecasts and order tickets show at once (bin/demo/demoHistory.ts); 0 = none. Default 30. */
  historyDays?: number;
}

export interface RunningDemo {
  readonly app: ServerApp;
  readonly simulator: RunningSimulator;
  readonly agent: AgentRuntime;
  readonly dataDir: string;
  readonly healthUrl: string;
  readonly apiUrl: string;
  /** The web dashboard (log in with the admin token). */
  readonly dashboardUrl: string;
  /** Owner-only file holding the generated admin API token (never printed). */
  readonly adminTokenFile: string;
  stop(): Promise<void>;
}

export class DemoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoError';
  }
}

/** A fresh data folder per run; refuses to clear a folder it did not create. */
function prepareDataDir(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (!existsSync(join(dir, MARKER))) {
      throw new DemoError(`data folder ${dir} is not empty and was not created by the demo; choose another with --data-dir`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, MARKER), 'created by `fleetdesk demo`; cleared at the next demo run\n');
}

export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const dataDir = resolve(options.dataDir);
  prepareDataDir(dataDir);
  const log = options.logger;

  const simulator = await startSimulator({
    devices: options.devices,
    scenario: options.scenario,
    host: '127.0.0.1',
    snmpPort: 0,
    ippPort: 0,
    logger: log.child({ component: 'simulator' }),
  });

  let app: ServerApp | undefined;
  try {
    const serverConfig = ServerConfig.parse({
      dataDir: join(dataDir, 'server'),
      broker: { embedded: { host: '127.0.0.1', port: options.mqttPort } },
      http: { host: '127.0.0.1', port: options.httpPort },
      fleet: {
        customers: {
          'acme-print': {
            name: 'ACME Biuro Sp. z o.o.',
            contract: 'device-vendor',
            contact: { name: 'Anna Kowalska', phone: '+48 22 555 01 00', email: 'it@acme.example' },
            tenants: [DEMO_TENANT],
          },
        },
        sites: { 'warsaw-hq': { name: 'Warszawa, ul. Prosta 20', customer: 'acme-print', agents: [`${DEMO_TENANT}/${DEMO_AGENT}`] } },
      },
      tickets: { defaultContract: 'device-vendor', quietPeriod: `${DEMO_QUIET_PERIOD_MINUTES}m` },
      // Every fault opens its ticket at once: the demo's doors and paper faults last one to three minutes,
      // shorter than any customer-first hold (30 working minutes, none at night), so none would show.
      impact: { ...DEFAULT_IMPACT_SETTINGS, customerFixable: [] },
    });
    // With a history backfill, the demo's forecasts accept a shorter history (DEMO_FORECAST_SETTINGS).
    const forecast = options.historyDays === 0 ? {} : { forecast: { settings: DEMO_FORECAST_SETTINGS } };
    app = await startServerApp(serverConfig, log.child({ component: 'server' }), { ...(options.onNotice ? { onNotice: options.onNotice } : {}), ...forecast });
    const mqttPort = app.server.mqttPort;
    if (mqttPort === undefined) throw new DemoError('the embedded broker did not start');

    // The agent authenticates like any installed agent: with a token the server issued.
    const token = await createAgentToken(app.server.repo, { tenant: DEMO_TENANT, agentId: DEMO_AGENT }, new Date(systemClock.now()));
    const agentConfig = AgentConfig.parse({
      tenant: DEMO_TENANT,
      agentId: DEMO_AGENT,
      // The embedded broker (aedes) speaks MQTT 3.1.1: say so, rather than try 5 and fall back.
      broker: { url: `mqtt://127.0.0.1:${mqttPort}`, username: `${DEMO_TENANT}/${DEMO_AGENT}`, password: token, protocolVersion: 4 },
      devices: simulator.devices.map((d) => ({
        id: d.id,
        name: `${d.manufacturer} ${d.modelName}`,
        address: `snmp://${d.community}@127.0.0.1:${d.snmpPort}`,
        ...(d.ippUrl ? { ipp: d.ippUrl } : {}),
      })),
      polling: { interval: `${options.pollSeconds}s`, unreachableAfter: 2 },
      outbox: { dir: join(dataDir, 'agent-outbox') },
      health: { listen: '127.0.0.1:0' },
    });
    const agent = await AgentRuntime.start({
      config: agentConfig,
      collector: new ProtocolCollector(agentConfig, systemClock),
      log: log.child({ component: 'agent' }),
      version: VERSION,
    });
    const running = app;
    const cancelHistory =
      options.historyDays === 0
        ? () => undefined
        : scheduleDemoHistory({
            app: running,
            clock: systemClock,
            logger: log.child({ component: 'demo-history' }),
            days: options.historyDays ?? 30,
            expectedDevices: simulator.devices.length,
          });
    return {
      app: running,
      simulator,
      agent,
      dataDir,
      healthUrl: `http://127.0.0.1:${running.server.httpPort}/healthz`,
      apiUrl: `http://127.0.0.1:${running.server.httpPort}/api/v1`,
      dashboardUrl: `http://127.0.0.1:${running.server.httpPort}/dashboard/`,
      adminTokenFile: adminTokenFile(serverConfig.dataDir),
      stop: async () => {
        cancelHistory();
        await agent.stop();
        await running.close();
        await simulator.stop();
      },
    };
  } catch (err) {
    await app?.close().catch(() => undefined);
    await simulator.stop().catch(() => undefined);
    throw err;
  }
}
