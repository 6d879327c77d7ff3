/**
 * The whole server as one unit: core (broker, ingest, fleet state, storage, health), the ticket
 * and SLA engine, live updates and the REST API, composed the same way for `fleetdesk server` and
 * `fleetdesk demo`. Parts attach in `beforeListen`, before the first message is accepted.
 */
import type { Logger } from '../shared/logging.js';
import type { Clock } from '../shared/clock.js';
import { startServer, type RunningServer } from './server.js';
import { ticketPolicyOf, type ServerConfig } from './serverConfig.js';
import { ContractError } from './sla/contract.js';
import { contractCatalogue } from './sla/contractCatalogue.js';
import { untoldCustomerHolds } from './tickets/customerFixable.js';
import type { Notice } from './tickets/ticketPolicy.js';
import { StoredTicketRepository } from './tickets/ticketRepository.js';
import { TicketService } from './tickets/ticketService.js';
import { registerApi } from './api/apiPlugin.js';
import { LiveUpdates } from './api/liveUpdates.js';
import { dashboardPlugin } from './dashboard/dashboardPlugin.js';
import { LiveCatalogue } from './catalogue/liveCatalogue.js';
import { finalReportAttachments } from './notifications/reportAttachment.js';
import type { Repository } from './storage/repository.js';
import { FleetDirectory } from './fleet/fleetModel.js';
import { HistoryRecorder } from './history/historyRecorder.js';
import { MeterRecorder } from './meters/meterRecorder.js';
import { MissingMeterWatch } from './meters/missingMeterWatch.js';
import { billingOf } from './meters/billingPeriod.js';
import { ForecastService, type ForecastServiceOptions } from './forecast/forecastService.js';
import { NotificationService } from './notifications/notificationService.js';
import { MailIntake } from './intake/mailIntake.js';
import { MailPoller } from './intake/mailPoller.js';
import { RetentionSweep } from './retention/retentionSweep.js';
import { senderDirectory } from './intake/mailSettings.js';

export interface ServerApp {
  readonly server: RunningServer;
  readonly tickets: TicketService;
  /** Supply forecasts and proactive orders (issue 9): sweep(), start()/stop() of its timer. */
  readonly forecasts: ForecastService;
  /** Webhooks and e-mail (server/notifications): its dispatcher runs on the leader only. */
  readonly notifications: NotificationService;
  /** The intake queue and e-mail intake (server/intake); `mailPoller` only when intake.mail is configured. */
  readonly intake: MailIntake;
  readonly mailPoller: MailPoller | undefined;
  close(): Promise<void>;
}

export interface ServerAppOptions {
  clock?: Clock;
  /** Called for every ticket notice (opened, joined, SLA warning, breach…) after the policy ran. */
  onNotice?: (notice: Notice) => void;
  /** Where the API reads FLEETDESK_ADMIN_TOKEN (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Forecast settings and sweep timing (demo, tests). */
  forecast?: Pick<ForecastServiceOptions, 'settings' | 'recomputeAfterMs' | 'staleAfterMs' | 'sweepIntervalMs' | 'firstSweepDelayMs' | 'sweepBatch'>;
}

/** Thrown when the configuration names contracts that do not exist (a config problem, exit 2). */
export class ServerSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerSetupError';
  }
}

/** How often an instance looks for catalogue edits made by other instances (one small read). */
const CATALOGUE_REFRESH_MS = 5_000;

async function openCatalogue(
  config: ServerConfig,
  repo: Repository,
  clock: Clock,
  logger: Logger,
  onChange: (revision: number) => void,
): Promise<LiveCatalogue> {
  const c = new LiveCatalogue({
    repo,
    clock,
    configContracts: config.contracts,
    configImpact: config.impact,
    customerContracts: Object.fromEntries(Object.entries(config.fleet.customers).map(([id, c]) => [id, c.contract])),
    defaultContract: config.tickets.defaultContract,
    logger: logger.child({ component: 'catalogue' }),
    onChange,
  });
  await c.load();
  return c;
}

export async function startServerApp(config: ServerConfig, logger: Logger, options: ServerAppOptions = {}): Promise<ServerApp> {
  try {
    // Fail at start on bad server.yaml contracts or an unknown default contract (exit 2).
    contractCatalogue(config.contracts).get(config.tickets.defaultContract);
  } catch (err) {
    if (err instanceof ContractError) throw new ServerSetupError(err.message);
    throw err;
  }
  let tickets: TicketService | undefined;
  let forecasts: ForecastService | undefined;
  let notifications: NotificationService | undefined;
  let intake: MailIntake | undefined;
  let mailPoller: MailPoller | undefined;
  // Contracts and impact rules in force: server.yaml's plus API edits from the store (server/catalogue).
  let catalogue: LiveCatalogue | undefined;
  const server = await startServer(config, logger, {
    ...(options.clock ? { clock: options.clock } : {}),
    impactRules: () => catalogue?.impactRules() ?? config.impact,
    beforeListen: async ({ repo, events, http, clock, cluster, onClose }) => {
      // Each part registers its close step as it starts; they run in reverse, after the broker side drained.
      // Live updates (server/api/liveUpdates.ts): fleet events and ticket notices for dashboards,
      // also those of the other instances (server/cluster: a no-op bus with one instance).
      const live = new LiveUpdates({ repo, clock, logger: logger.child({ component: 'live' }), bus: cluster.bus });
      onClose('live updates bus', live.attachToBus(cluster.bus));
      const onNotice = options.onNotice;
      // Other instances reload at once on the bus note, and within CATALOGUE_REFRESH_MS if a note is lost.
      const liveCatalogue = await openCatalogue(config, repo, clock, logger, (revision) => void cluster.bus.publish({ kind: 'catalogue', body: revision }));
      catalogue = liveCatalogue;
      const reloadCatalogue = () =>
        void liveCatalogue.refresh().catch((err: Error) => logger.warn({ err: err.message }, 'reloading the contract/impact catalogue failed'));
      onClose(
        'catalogue notes',
        cluster.bus.subscribe((note) => {
          if (note.kind === 'catalogue') reloadCatalogue();
        }),
      );
      // Notifications (server/notifications): every notice queued durably here, sent by the leader's dispatcher.
      const notifier = new NotificationService({
        settings: config.notifications,
        repo,
        clock,
        logger: logger.child({ component: 'notifications' }),
        attachments: finalReportAttachments(repo, (id, version) => liveCatalogue.get(id, version), clock),
      });
      notifications = notifier;
      // Customer-fixable faults wait for the customer, who is told by e-mail only: say so when there is no e-mail to tell them with.
      const fixable = untoldCustomerHolds(
        liveCatalogue.impactRules(),
        liveCatalogue.ids.map((id) => liveCatalogue.get(id)),
        config.notifications.email !== undefined,
      );
      if (fixable.length > 0)
        logger.warn(
          { customerFixable: fixable },
          'customer-fixable faults wait for the customer before a vendor ticket opens, but notifications.email is not set: customers are not told by e-mail (set notifications.email, or impact.customerFixable: [] for tickets at once)',
        );
      // Closes after the ticket engine stopped: notices still being queued reach the store first.
      onClose('notifications', () => notifier.close());
      // Device history (server/history), written at ingest; it also records the customer notices of customer-fixable faults.
      const recorder = new HistoryRecorder({ logger: logger.child({ component: 'history' }) });
      // Tickets and SLA (server/tickets): opened inside the ingest transaction of the fault.
      const service = new TicketService({
        repository: new StoredTicketRepository(repo),
        clock,
        contractFor: (id, version) => liveCatalogue.get(id, version),
        defaultContractId: config.tickets.defaultContract,
        policy: ticketPolicyOf(config.tickets),
        logger: logger.child({ component: 'tickets' }),
        // Notifications are queued in the unit of work that changed the ticket; after its commit they are sent.
        noticesIn: (tx, notices) => notifier.queueIn(tx, notices),
        onNotice: (n) => {
          live.ticketNotice(n);
          notifier.queued();
          onNotice?.(n);
        },
        // Customer-fixable faults (server/tickets/customerFixable.ts): the customer's notice and the device timeline, in the hold's unit.
        customerNoticesIn: async (tx, notices) => {
          await notifier.queueCustomerIn(tx, notices);
          await recorder.recordCustomerNotices(tx, notices);
        },
        onCustomerNotice: () => notifier.queued(),
        // Tickets changed here may be due before the leader's next wake-up: tell it (server/cluster).
        ...(cluster.shared ? { onDue: (at: number) => void cluster.bus.publish({ kind: 'due', body: at }) } : {}),
      });
      tickets = service;
      onClose('tickets on fleet events', service.attachToFleetEvents(events));
      // Supply forecasts with proactive order tickets (server/forecast), at ingest.
      const forecastService = new ForecastService({
        repo,
        clock,
        tickets: service,
        directory: new FleetDirectory(config.fleet),
        contractOf: (customerId) => {
          const id = config.fleet.customers[customerId]?.contract ?? config.tickets.defaultContract;
          return liveCatalogue.get(liveCatalogue.inForce(id) ? id : config.tickets.defaultContract);
        },
        logger: logger.child({ component: 'forecast' }),
        afterCommit: (tx, effect) => events.afterCommit(tx, effect),
        ...options.forecast,
      });
      forecasts = forecastService;
      forecastService.attach(recorder);
      onClose('history on fleet events', recorder.attach(events));
      // Meter readings for billing (server/meters, docs/meters.md), at ingest.
      onClose(
        'meters on fleet events',
        new MeterRecorder({ billingOf: (customerId) => billingOf(config, customerId), logger: logger.child({ component: 'meters' }) }).attach(events),
      );
      // Missing meters before a billing cut-off: alert and notify once per device and period (leader only).
      const meterWatch = new MissingMeterWatch({
        repo,
        clock,
        billingOf: (customerId) => billingOf(config, customerId),
        customerOf: (customerId) => {
          const c = Object.hasOwn(config.fleet.customers, customerId) ? config.fleet.customers[customerId] : undefined;
          return { name: c?.name ?? customerId, contactEmail: c?.contact?.email };
        },
        notifications: notifier,
        logger: logger.child({ component: 'meters' }),
      });
      const stopMeterWatchFollowing = cluster.leadership.onChange((leader) => (leader ? meterWatch.start() : meterWatch.stop()));
      if (cluster.leadership.isLeader()) meterWatch.start();
      onClose('missing-meter check', () => {
        stopMeterWatchFollowing();
        meterWatch.stop();
      });
      // The daily sweep runs on the leader only, like the ticket timers.
      const stopSweepFollowing = cluster.leadership.onChange((leader) => (leader ? forecastService.start() : forecastService.stop()));
      if (cluster.leadership.isLeader()) forecastService.start();
      onClose('forecast sweep', () => {
        stopSweepFollowing();
        forecastService.stop();
      });
      // Reports people send (server/intake, docs/email-intake.md): e-mail read over IMAP by the leader.
      const mail = config.intake.mail;
      const contacts = Object.fromEntries(Object.entries(config.fleet.customers).map(([id, c]) => [id, c.contact?.email]));
      const mailIntake = new MailIntake({
        deps: {
          repo,
          tickets: service,
          directory: new FleetDirectory(config.fleet),
          contractFor: (id) => liveCatalogue.get(id),
          defaultContractId: config.tickets.defaultContract,
        },
        clock,
        logger: logger.child({ component: 'intake' }),
        customerOf: senderDirectory(mail ?? { senders: {} }, contacts),
        impact: mail?.impact ?? 'medium',
      });
      intake = mailIntake;
      if (mail) {
        const poller = new MailPoller({ settings: mail, intake: mailIntake, clock, logger: logger.child({ component: 'intake', mailbox: mail.mailbox }) });
        mailPoller = poller;
        const stopPollFollowing = cluster.leadership.onChange((leader) => (leader ? poller.start() : void poller.stop()));
        if (cluster.leadership.isLeader()) poller.start();
        // Before the ticket engine stops: a message in flight commits with its ticket, or is read again after the restart.
        onClose('mail intake', async () => {
          stopPollFollowing();
          await poller.stop();
        });
      }
      // Retention (server/retention): the leader deletes expired audit entries and e-mail records in bounded batches.
      const retention = new RetentionSweep({ repo, clock, settings: config.retention, logger: logger.child({ component: 'retention' }) });
      const stopRetentionFollowing = cluster.leadership.onChange((leader) => (leader ? retention.start() : retention.stop()));
      if (cluster.leadership.isLeader()) retention.start();
      onClose('retention sweep', () => {
        stopRetentionFollowing();
        retention.stop();
      });
      // REST API under /api/v1 with its OpenAPI UI at /docs (server/api, docs/api.md).
      const api = await registerApi(http, {
        config,
        repo,
        events,
        tickets: service,
        contracts: liveCatalogue,
        live,
        notifications: notifier,
        intake: mailIntake,
        clock,
        bus: cluster.bus,
        logger: logger.child({ component: 'api' }),
        ...(options.env ? { env: options.env } : {}),
      });
      // Web dashboard: static pages under /dashboard/ that use the API above (server/dashboard, docs/dashboard.md).
      onClose('API live streams', () => api.close());
      await http.register(dashboardPlugin);
      // Ticket timers run on the leader only (always this instance with lowdb storage).
      onClose(
        'ticket due notes',
        cluster.bus.subscribe((note) => {
          if (note.kind === 'due' && typeof note.body === 'number') service.dueElsewhere(note.body);
        }),
      );
      const stopFollowing = cluster.leadership.onChange((leader) => (leader ? service.start() : service.stop()));
      if (cluster.leadership.isLeader()) service.start();
      onClose('ticket timers', () => {
        stopFollowing();
        service.stop();
      });
      if (notifier.enabled) {
        onClose(
          'notification dispatcher',
          cluster.leadership.onChange((leader) => (leader ? notifier.dispatcher.start() : void notifier.dispatcher.stop())),
        );
        if (cluster.leadership.isLeader()) notifier.dispatcher.start();
      }
      // Edits made by another instance over the same store apply here within CATALOGUE_REFRESH_MS.
      let refreshTimer = clock.setTimeout(function refresh() {
        reloadCatalogue();
        refreshTimer = clock.setTimeout(refresh, CATALOGUE_REFRESH_MS);
      }, CATALOGUE_REFRESH_MS);
      onClose('catalogue refresh', () => clock.clearTimeout(refreshTimer));
    },
  });
  if (!tickets) throw new Error('server started without its ticket service');
  const ticketService = tickets;
  if (!forecasts) throw new Error('server started without its forecast service');
  if (!notifications) throw new Error('server started without its notification service');
  if (!intake) throw new Error('server started without its intake');
  return { server, tickets: ticketService, forecasts, notifications, intake, mailPoller, close: () => server.close() };
}
