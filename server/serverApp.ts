/**
 * The whole server as one unit: core (broker, ingest, fleet state, storage, health), the ticket
 * and SLA engine, live updates and the REST API, composed the same way for `fleetdesk server` and
 * `fleetdesk demo`. Parts attach in `beforeListen`, before the first message is accepted.
 */
import type { Logger } from '../shared/logging.js';
import type { Clock } from '../shared/clock.js';
import { startServer, type RunningServer } from './server.js';
import type { ServerConfig } from './serverConfig.js';
import { ContractError } from './sla/contract.js';
import { contractCatalogue } from './sla/contractCatalogue.js';
import type { Notice } from './tickets/ticketPolicy.js';
import { StoredTicketRepository } from './tickets/ticketRepository.js';
import { TicketService } from './tickets/ticketService.js';
import { registerApi } from './api/apiPlugin.js';
import { LiveUpdates } from './api/liveUpdates.js';
import { dashboardPlugin } from './dashboard/dashboardPlugin.js';

export interface ServerApp {
  readonly server: RunningServer;
  readonly tickets: TicketService;
  close(): Promise<void>;
}

export interface ServerAppOptions {
  clock?: Clock;
  /** Called for every ticket notice (opened, joined, SLA warning, breach…) after the policy ran. */
  onNotice?: (notice: Notice) => void;
  /** Where the API reads FLEETDESK_ADMIN_TOKEN (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Thrown when the configuration names contracts that do not exist (a config problem, exit 2). */
export class ServerSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerSetupError';
  }
}

export async function startServerApp(config: ServerConfig, logger: Logger, options: ServerAppOptions = {}): Promise<ServerApp> {
  let contracts: ReturnType<typeof contractCatalogue>;
  try {
    contracts = contractCatalogue(config.contracts);
    contracts.get(config.tickets.defaultContract);
  } catch (err) {
    if (err instanceof ContractError) throw new ServerSetupError(err.message);
    throw err;
  }
  let tickets: TicketService | undefined;
  const server = await startServer(config, logger, {
    ...(options.clock ? { clock: options.clock } : {}),
    beforeListen: async ({ repo, events, http, clock }) => {
      // Live updates (server/api/liveUpdates.ts): fleet events and ticket notices for dashboards.
      const live = new LiveUpdates({ repo, clock, logger: logger.child({ component: 'live' }) });
      const onNotice = options.onNotice;
      // Tickets and SLA (server/tickets): opened inside the ingest transaction of the fault.
      const service = new TicketService({
        repository: new StoredTicketRepository(repo),
        clock,
        contractFor: (id) => contracts.get(id),
        defaultContractId: config.tickets.defaultContract,
        logger: logger.child({ component: 'tickets' }),
        onNotice: (n) => {
          live.ticketNotice(n);
          onNotice?.(n);
        },
      });
      tickets = service;
      const detach = service.attachToFleetEvents(events);
      // REST API under /api/v1 with its OpenAPI UI at /docs (server/api, docs/api.md).
      const api = await registerApi(http, { config, repo, events, tickets: service, contracts, live, clock, logger: logger.child({ component: 'api' }), ...(options.env ? { env: options.env } : {}) });
      // Web dashboard: static pages under /dashboard/ that use the API above (server/dashboard, docs/dashboard.md).
      await http.register(dashboardPlugin);
      service.start();
      return () => {
        service.stop();
        detach();
        api.close();
      };
    },
  });
  if (!tickets) throw new Error('server started without its ticket service');
  const ticketService = tickets;
  return { server, tickets: ticketService, close: () => server.close() };
}
