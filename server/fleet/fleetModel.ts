/**
 * What the server knows about the fleet: customers, sites, agents and devices, as stored records.
 *
 * Customers and sites come from configuration for now (server.yaml `fleet`): a tenant maps to a
 * customer, an agent to a site. Without a mapping, the tenant id is the customer id and each
 * agent is its own site ("<tenant>/<agentId>"). Devices are keyed by identity within a tenant
 * (serial number, else IPP UUID, else MAC), so a printer that gets a new address, or is moved to
 * another site's agent, stays one device; only a device that reports no identity at all is keyed
 * by the agent's own device id.
 */
import { z } from 'zod';
import type { CounterOrigin } from '../../shared/counters.js';
import type { DeviceStatus, Fault, Identity, InputTray, Protocol, Supply, Counters } from '../../shared/snapshot.js';
import { ID_PATTERN } from '../../shared/wire/topics.js';
import { BillingSettings } from '../meters/billingPeriod.js';

const Id = z.string().regex(ID_PATTERN, 'an identifier of A-Z a-z 0-9 . _ - (1-128 characters)');

export const Contact = z.strictObject({
  name: z.string().min(1).max(200),
  phone: z.string().max(64).optional(),
  email: z.email().optional(),
});

export const CustomerConfig = z.strictObject({
  name: z.string().min(1).max(200),
  /** Contract id (the ticket/SLA engine's contract catalogue); absent = no contract. */
  contract: z.string().min(1).max(64).optional(),
  contact: Contact.optional(),
  /** Tenants (MQTT tenant ids) whose agents belong to this customer. */
  tenants: z.array(Id).min(1).max(1000),
  /** Meter reading for billing: billing day, time zone, A3 weight (server/meters, docs/meters.md). */
  billing: BillingSettings.optional(),
});

export const SiteConfig = z.strictObject({
  name: z.string().min(1).max(200),
  customer: Id,
  /** Agents "<tenant>/<agentId>" that monitor this site. */
  agents: z
    .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\/[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, '"<tenant>/<agentId>"'))
    .min(1)
    .max(1000),
  address: z.string().max(500).optional(),
});

export const FleetSettings = z
  .strictObject({
    customers: z.record(Id, CustomerConfig).default({}),
    sites: z.record(Id, SiteConfig).default({}),
    /** Devices (by serial number, IPP UUID or MAC) whose outage is business-critical. */
    criticalDevices: z.array(z.string().min(1).max(512)).max(100_000).default([]),
    /** Warranty end dates ("YYYY-MM-DD", last day covered) by serial number, IPP UUID or MAC: work on a device in warranty is not billed. */
    warranties: z.record(z.string().min(1).max(512), z.iso.date()).default({}),
  })
  .superRefine((fleet, ctx) => {
    const tenantOwner = new Map<string, string>();
    for (const [id, customer] of Object.entries(fleet.customers)) {
      customer.tenants.forEach((tenant, i) => {
        const other = tenantOwner.get(tenant);
        if (other)
          ctx.addIssue({
            code: 'custom',
            path: ['customers', id, 'tenants', i],
            message: `tenant ${tenant} already belongs to customer ${other}`,
            input: tenant,
          });
        tenantOwner.set(tenant, id);
      });
    }
    const agentSite = new Map<string, string>();
    for (const [id, site] of Object.entries(fleet.sites)) {
      if (!Object.hasOwn(fleet.customers, site.customer)) {
        ctx.addIssue({
          code: 'custom',
          path: ['sites', id, 'customer'],
          message: `site ${id} names customer ${site.customer}, which is not in fleet.customers`,
          input: site.customer,
        });
      }
      site.agents.forEach((agent, i) => {
        const other = agentSite.get(agent);
        if (other) ctx.addIssue({ code: 'custom', path: ['sites', id, 'agents', i], message: `agent ${agent} is already on site ${other}`, input: agent });
        agentSite.set(agent, id);
      });
    }
  })
  .prefault({});
export type FleetSettings = z.infer<typeof FleetSettings>;

export interface CustomerInfo {
  readonly id: string;
  readonly name: string;
  readonly contract: string | undefined;
  readonly contact: z.infer<typeof Contact> | undefined;
}

export interface SiteInfo {
  readonly id: string;
  readonly name: string;
  readonly customerId: string;
}

/** At most this many memoised customers, and this many memoised sites in all (beyond that, computed each time). */
const MEMO_LIMIT = 10_000;

/** Lookups over FleetSettings (pure, built once per config). */
export class FleetDirectory {
  private readonly customerOfTenant = new Map<string, string>();
  private readonly siteOfAgent = new Map<string, string>();
  private readonly critical: Set<string>;
  private readonly warranty: Map<string, string>;

  constructor(private readonly settings: FleetSettings) {
    this.warranty = new Map(Object.entries(settings.warranties).map(([k, v]) => [k.trim().toLowerCase(), v]));
    for (const [id, c] of Object.entries(settings.customers)) for (const t of c.tenants) this.customerOfTenant.set(t, id);
    for (const [id, s] of Object.entries(settings.sites)) for (const a of s.agents) this.siteOfAgent.set(a, id);
    this.critical = new Set(settings.criticalDevices.map((d) => d.trim().toLowerCase()));
  }

  // Answers are looked up for every ingested message: computed once per tenant/agent (the
  // settings never change) and bounded, since tenants and agents come from the network.
  private readonly customerMemo = new Map<string, CustomerInfo>();
  private readonly siteMemo = new Map<string, Map<string, SiteInfo>>();
  private siteMemoCount = 0;

  customer(tenant: string): CustomerInfo {
    const known = this.customerMemo.get(tenant);
    if (known) return known;
    const id = this.customerOfTenant.get(tenant);
    const c = id !== undefined ? this.settings.customers[id] : undefined;
    const info: CustomerInfo =
      id === undefined || !c
        ? { id: tenant, name: tenant, contract: undefined, contact: undefined }
        : { id, name: c.name, contract: c.contract, contact: c.contact };
    if (this.customerMemo.size < MEMO_LIMIT) this.customerMemo.set(tenant, Object.freeze(info));
    return info;
  }

  site(tenant: string, agentId: string): SiteInfo {
    const known = this.siteMemo.get(tenant)?.get(agentId);
    if (known) return known;
    const key = agentKey(tenant, agentId);
    const id = this.siteOfAgent.get(key);
    const s = id !== undefined ? this.settings.sites[id] : undefined;
    const info: SiteInfo = id === undefined || !s ? { id: key, name: key, customerId: this.customer(tenant).id } : { id, name: s.name, customerId: s.customer };
    if (this.siteMemoCount < MEMO_LIMIT) {
      let agents = this.siteMemo.get(tenant);
      if (!agents) this.siteMemo.set(tenant, (agents = new Map<string, SiteInfo>()));
      agents.set(agentId, Object.freeze(info));
      this.siteMemoCount += 1;
    }
    return info;
  }

  /** A customer configured in `fleet.customers` by its id; undefined for tenants without a mapping. */
  configuredCustomer(id: string): CustomerInfo | undefined {
    const c = Object.hasOwn(this.settings.customers, id) ? this.settings.customers[id] : undefined;
    return c ? { id, name: c.name, contract: c.contract, contact: c.contact } : undefined;
  }

  /** The configured sites of a customer (id, name, address). */
  sitesOf(customerId: string): Array<{ id: string; name: string; address?: string }> {
    return Object.entries(this.settings.sites)
      .filter(([, s]) => s.customer === customerId)
      .map(([id, s]) => ({ id, name: s.name, ...(s.address !== undefined ? { address: s.address } : {}) }));
  }

  /** The device's warranty end date from `fleet.warranties`, if it has one. */
  warrantyUntil(identity: Identity): string | undefined {
    for (const v of [identity.serial, identity.uuid, identity.mac]) {
      const until = v === undefined ? undefined : this.warranty.get(v.trim().toLowerCase());
      if (until !== undefined) return until;
    }
    return undefined;
  }

  isCritical(identity: Identity): boolean {
    return [identity.serial, identity.uuid, identity.mac].some((v) => v !== undefined && this.critical.has(v.trim().toLowerCase()));
  }
}

export function agentKey(tenant: string, agentId: string): string {
  return `${tenant}/${agentId}`;
}

export function aliasKey(tenant: string, agentId: string, deviceId: string): string {
  return `${tenant}/${agentId}/${deviceId}`;
}

/** The tenant-scoped identity key of a device, or undefined when it reports no usable identity. */
export function identityKey(tenant: string, identity: Identity): string | undefined {
  const serial = identity.serial?.trim();
  if (serial && !/^(0+|unknown|n\/a|none|-)$/i.test(serial)) return `${tenant}/sn:${serial.toLowerCase()}`;
  const uuid = identity.uuid?.trim();
  if (uuid) return `${tenant}/uuid:${uuid.toLowerCase().replace(/^urn:uuid:/, '')}`;
  if (identity.mac) return `${tenant}/mac:${identity.mac}`;
  return undefined;
}

export function fallbackDeviceKey(tenant: string, agentId: string, deviceId: string): string {
  return `${tenant}/agent:${agentId}/${deviceId}`;
}

export type AgentState = 'online' | 'offline';

export interface AgentRecord {
  readonly key: string;
  readonly tenant: string;
  readonly agentId: string;
  readonly customerId: string;
  readonly siteId: string;
  readonly state: AgentState;
  /** birth/will/shutdown from the agent's status messages; stale = silent for too long. */
  readonly stateReason: 'birth' | 'will' | 'shutdown' | 'stale';
  /** Server time the state began. */
  readonly since: string;
  /** Server time of the last message from this agent (persisted at a bounded rate). */
  readonly lastSeen: string;
  /** Agent clock of the newest status message applied (older ones arriving late are ignored). */
  readonly statusTs?: string;
  /** The will the newest birth named (wire `willId`): applied when it comes, whatever its `ts`. */
  readonly willId?: string;
  readonly agentVersion?: string;
  readonly hostname?: string;
  readonly startedAt?: string;
  readonly devices?: number;
  readonly outboxDepth?: number;
}

export interface ActiveFault extends Fault {
  /** When the agent first saw it. */
  readonly firstSeen: string;
}

export interface DeviceRecord {
  readonly key: string;
  readonly tenant: string;
  readonly customerId: string;
  readonly siteId: string;
  readonly agentId: string;
  /** The agent's own id of the device (topic segment). */
  readonly agentDeviceId: string;
  readonly identity: Identity;
  readonly address?: string;
  readonly protocols?: Protocol[];
  /** Status as the device last reported it (see effectiveStatus for what to show). */
  readonly status: DeviceStatus;
  readonly reachable: boolean;
  readonly unreachableSince?: string;
  /** When the agent last saw it answer again (device.reachable): an older device.unreachable delivered late is ignored. */
  readonly reachableSince?: string;
  readonly lastError?: string;
  readonly faults: ActiveFault[];
  readonly supplies: Supply[];
  readonly inputs: InputTray[];
  readonly counters: Counters;
  /** Per counter key, where the agent read it and how exact it is (the newest snapshot's; telemetry carries values only). */
  readonly counterOrigins?: Readonly<Record<string, CounterOrigin>>;
  /** Agent clock of the newest snapshot or telemetry applied. */
  readonly collectedAt?: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
}

/** Storage collections of the fleet (names are part of the storage contract). */
export const FLEET_COLLECTIONS = {
  agents: 'agents',
  devices: 'devices',
  deviceAliases: 'deviceAliases',
} as const;

export interface DeviceAlias {
  readonly device: string;
}

/** What a dashboard should show: a device whose agent is offline is unknown, not down. */
export function effectiveStatus(device: DeviceRecord, agent: AgentRecord | undefined): DeviceStatus {
  if (!agent || agent.state === 'offline') return 'unknown';
  if (!device.reachable) return 'unreachable';
  return device.status;
}
