/**
 * The contract catalogue and impact rule table in force, editable at run time (the shell over
 * catalogueRecords.ts): presets and server.yaml give the defaults, API edits are stored as
 * immutable version records in the server's store and applied at once — the ticket service asks
 * `get(id)` for every new ticket and ingest asks `impactRules()` for every classification.
 *
 * Existing tickets keep their terms: a ticket records the contract version it was opened under
 * (`sla.contractVersion`) and the engine evaluates it with `get(id, version)`, which every
 * version ever stored answers (retired contracts included).
 *
 * Several server instances over one store: `onChange` tells the others (serverApp publishes a
 * cluster bus note) and `refresh()` reloads when the head record's revision moved; serverApp also
 * runs it every few seconds in case a note was lost.
 */
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logging.js';
import type { ImpactSettings, ImpactTable } from '../impact/impactRules.js';
import { compileContract, ContractError, type Contract } from '../sla/contract.js';
import { contractCatalogue, type ContractCatalogue } from '../sla/contractCatalogue.js';
import { PRESET_IDS } from '../sla/presets.js';
import type { Repository, Transaction } from '../storage/repository.js';
import { isOpen } from '../tickets/ticket.js';
import { ticketStoreIn } from '../tickets/ticketRepository.js';
import {
  CATALOGUE_COLLECTIONS,
  changedKeys,
  contractUsers,
  contractVersionKey,
  describeUsers,
  EMPTY_HEAD,
  HEAD_ID,
  impactVersionKey,
  isUnused,
  unknownContractReferences,
  versionConflict,
  type CatalogueHead,
  type ChangeAuthor,
  type ContractVersionRecord,
  type ImpactVersionRecord,
  type ReferenceProblem,
} from './catalogueRecords.js';

const { contractVersions: CONTRACT_VERSIONS, impactVersions: IMPACT_VERSIONS, heads: HEADS } = CATALOGUE_COLLECTIONS;

/** Unknown contract or version (404). */
export class CatalogueNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogueNotFoundError';
  }
}

/** The change conflicts with the current state: stale version, id taken, still in use (409). */
export class CatalogueConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogueConflictError';
  }
}

/** Valid by the schema but wrong in context, e.g. a rule naming an unknown contract (400). */
export class CatalogueInvalidError extends Error {
  constructor(readonly problems: readonly ReferenceProblem[]) {
    super(problems.map((p) => p.message).join('; '));
    this.name = 'CatalogueInvalidError';
  }
}

export type ContractOrigin = 'preset' | 'configured' | 'api';

/** What the catalogue knows of one contract id. */
export interface ContractEntry {
  /** The terms in force (what new tickets get). */
  readonly contract: Contract;
  /** Number of API changes to this id (the If-Match value); 0 = never changed through the API. */
  readonly version: number;
  readonly origin: ContractOrigin;
  /** The preset/server.yaml definition under an API one (what a deletion reverts to); null if none. */
  readonly defaultOrigin: 'preset' | 'configured' | null;
  readonly updatedAt: string | null;
  readonly updatedBy: ChangeAuthor | null;
}

export interface ImpactEntry {
  readonly table: ImpactTable;
  readonly version: number;
  readonly origin: 'configured' | 'api';
  readonly updatedAt: string | null;
  readonly updatedBy: ChangeAuthor | null;
}

/** One line of the audit trail. */
export interface CatalogueChange {
  readonly kind: 'contract' | 'impactRules';
  readonly id: string;
  readonly version: number;
  readonly action: ContractVersionRecord['action'] | ImpactVersionRecord['action'];
  readonly at: string;
  readonly by: ChangeAuthor;
  readonly changed: string[];
}

export interface LiveCatalogueOptions {
  readonly repo: Repository;
  readonly clock: Clock;
  /** server.yaml `contracts` (validated again here, as at every start). */
  readonly configContracts: readonly unknown[];
  readonly configImpact: ImpactSettings;
  /** Customer id → contract id (server.yaml fleet.customers): a contract they name cannot be deleted. */
  readonly customerContracts: Readonly<Record<string, string | undefined>>;
  readonly defaultContract: string;
  readonly logger?: Logger;
  /** Called after every change made here, with the new head revision (to tell other instances). */
  readonly onChange?: (revision: number) => void;
}

export class LiveCatalogue implements ContractCatalogue {
  private readonly defaults: ContractCatalogue;
  private readonly configuredIds: ReadonlySet<string>;
  private head: CatalogueHead = EMPTY_HEAD;
  private contractHistory = new Map<string, ContractVersionRecord[]>();
  private impactHistory: ImpactVersionRecord[] = [];
  /** Compiled API versions by "id@version" (records are immutable, so entries never go stale). */
  private readonly compiled = new Map<string, Contract>();
  private idList: string[] = [];
  private table: ImpactTable;

  constructor(private readonly o: LiveCatalogueOptions) {
    this.defaults = contractCatalogue(o.configContracts);
    this.configuredIds = new Set(o.configContracts.map((c) => (c as { id?: unknown }).id).filter((id): id is string => typeof id === 'string'));
    this.table = o.configImpact;
    this.idList = [...this.defaults.ids];
  }

  /** Loads every stored version. Call once before use (and `refresh()` later). */
  async load(): Promise<void> {
    const [head, contracts, impact] = await Promise.all([
      this.o.repo.get<CatalogueHead>(HEADS, HEAD_ID),
      this.o.repo.list<ContractVersionRecord>(CONTRACT_VERSIONS),
      this.o.repo.list<ImpactVersionRecord>(IMPACT_VERSIONS),
    ]);
    const history = new Map<string, ContractVersionRecord[]>();
    for (const r of contracts) {
      const list = history.get(r.contractId) ?? [];
      list.push(r);
      history.set(r.contractId, list);
    }
    for (const list of history.values()) list.sort((a, b) => a.version - b.version);
    this.head = head ?? EMPTY_HEAD;
    this.contractHistory = history;
    this.impactHistory = [...impact].sort((a, b) => a.version - b.version);
    const lastImpact = this.impactHistory[this.impactHistory.length - 1];
    this.table = lastImpact?.settings ? { ...lastImpact.settings, version: lastImpact.version } : this.o.configImpact;
    this.idList = [...new Set([...this.defaults.ids, ...[...history.keys()].filter((id) => this.activeRecord(id) !== undefined)])];
  }

  /** Reloads when another instance changed the catalogue; true when it did. */
  async refresh(): Promise<boolean> {
    const head = (await this.o.repo.get<CatalogueHead>(HEADS, HEAD_ID)) ?? EMPTY_HEAD;
    if (head.revision === this.head.revision) return false;
    await this.load();
    this.o.logger?.info({ revision: head.revision }, 'contract/impact catalogue reloaded after a change made elsewhere');
    return true;
  }

  get ids(): readonly string[] {
    return this.idList;
  }

  /** The latest API version of `id` when it is in force (not retired). */
  private activeRecord(id: string): ContractVersionRecord | undefined {
    const list = this.contractHistory.get(id);
    const last = list?.[list.length - 1];
    return last && last.spec !== null ? last : undefined;
  }

  private compiledVersion(r: ContractVersionRecord): Contract {
    const key = contractVersionKey(r.contractId, r.version);
    let c = this.compiled.get(key);
    if (!c) {
      c = { ...compileContract(r.spec, `stored contract ${key}`), version: r.version };
      this.compiled.set(key, c);
    }
    return c;
  }

  private hasDefault(id: string): boolean {
    return this.defaults.ids.includes(id);
  }

  get(id: string, version?: number): Contract {
    if (version === undefined) {
      const active = this.activeRecord(id);
      return active ? this.compiledVersion(active) : this.defaults.get(id);
    }
    if (version === 0) return this.defaults.get(id);
    const r = this.contractHistory.get(id)?.find((v) => v.version === version);
    if (!r) throw new ContractError(`unknown version ${version} of contract ${JSON.stringify(id)}`);
    // A retirement has no terms of its own: what was in force then was the default.
    return r.spec ? this.compiledVersion(r) : this.defaults.get(id);
  }

  /** The contract a customer is under (server.yaml fleet.customers), or the default one. */
  contractIdOf(customerId: string | null): string {
    return (customerId === null ? undefined : this.o.customerContracts[customerId]) ?? this.o.defaultContract;
  }

  /** The entry of a contract in force, or undefined for unknown/retired ids. */
  entry(id: string): ContractEntry | undefined {
    const active = this.activeRecord(id);
    const defaultOrigin = !this.hasDefault(id) ? null : this.configuredIds.has(id) ? 'configured' : 'preset';
    if (!active && defaultOrigin === null) return undefined;
    const list = this.contractHistory.get(id) ?? [];
    const last = list[list.length - 1];
    return {
      contract: this.get(id),
      version: last?.version ?? 0,
      origin: active ? 'api' : defaultOrigin!,
      defaultOrigin,
      updatedAt: last?.at ?? null,
      updatedBy: last?.by ?? null,
    };
  }

  /** API versions of a contract, oldest first (empty for one never changed through the API). */
  versions(id: string): readonly ContractVersionRecord[] {
    return this.contractHistory.get(id) ?? [];
  }

  /** Whether the id is in force now (what `get(id)` answers without throwing). */
  inForce(id: string): boolean {
    return this.hasDefault(id) || this.activeRecord(id) !== undefined;
  }

  /** Whether the id was ever known (in force now, or only in stored versions of a retired contract). */
  known(id: string): boolean {
    return this.hasDefault(id) || this.contractHistory.has(id);
  }

  impactRules(): ImpactTable {
    return this.table;
  }

  impactEntry(): ImpactEntry {
    const last = this.impactHistory[this.impactHistory.length - 1];
    return {
      table: this.table,
      version: last?.version ?? 0,
      origin: last?.settings ? 'api' : 'configured',
      updatedAt: last?.at ?? null,
      updatedBy: last?.by ?? null,
    };
  }

  impactVersions(): readonly ImpactVersionRecord[] {
    return this.impactHistory;
  }

  /** The table of a version (0 = server.yaml's; a revert = server.yaml's as well). */
  impactVersion(version: number): ImpactSettings | undefined {
    if (version === 0) return this.o.configImpact;
    const r = this.impactHistory.find((v) => v.version === version);
    if (!r) return undefined;
    return r.settings ?? this.o.configImpact;
  }

  /** The audit trail, newest first. */
  changes(): CatalogueChange[] {
    const out: Array<{ c: CatalogueChange; rev: number }> = [];
    for (const list of this.contractHistory.values()) {
      for (const r of list)
        out.push({ c: { kind: 'contract', id: r.contractId, version: r.version, action: r.action, at: r.at, by: r.by, changed: r.changed }, rev: r.revision });
    }
    for (const r of this.impactHistory)
      out.push({
        c: { kind: 'impactRules', id: 'impact-rules', version: r.version, action: r.action, at: r.at, by: r.by, changed: r.changed },
        rev: r.revision,
      });
    // Newest first by the head revision each change produced (instants can tie within a millisecond).
    return out.sort((a, b) => b.rev - a.rev).map((x) => x.c);
  }

  private now(): string {
    return new Date(this.o.clock.now()).toISOString();
  }

  /** One change: read the head, let `work` check and write, bump the head; then reload what is in force. */
  private async change(
    work: (tx: Transaction, head: CatalogueHead, revision: number) => Promise<Partial<Pick<CatalogueHead, 'contracts' | 'impactRules'>>>,
  ): Promise<void> {
    await this.o.repo.transaction(async (tx) => {
      const head = (await tx.get<CatalogueHead>(HEADS, HEAD_ID)) ?? EMPTY_HEAD;
      const revision = head.revision + 1;
      const next = await work(tx, head, revision);
      await tx.put<CatalogueHead>(HEADS, HEAD_ID, { ...head, ...next, revision });
    });
    await this.load();
    this.o.onChange?.(this.head.revision);
  }

  /** Validates and compiles (calendars included); errors name the field under `body`. */
  private validate(input: unknown): Contract {
    return compileContract(input, 'body');
  }

  /** The stored record of the latest version, read inside the transaction. */
  private static async latest(tx: Transaction, head: CatalogueHead, id: string): Promise<ContractVersionRecord | undefined> {
    const v = head.contracts[id];
    return v === undefined ? undefined : tx.get<ContractVersionRecord>(CONTRACT_VERSIONS, contractVersionKey(id, v));
  }

  async createContract(input: unknown, by: ChangeAuthor): Promise<ContractEntry> {
    const c = this.validate(input);
    const id = c.spec.id;
    await this.change(async (tx, head, revision) => {
      const latest = await LiveCatalogue.latest(tx, head, id);
      if (this.hasDefault(id) || (latest !== undefined && latest.spec !== null)) {
        throw new CatalogueConflictError(
          `contract ${JSON.stringify(id)} already exists (version ${head.contracts[id] ?? 0}): change it with PUT /contracts/${id} and If-Match`,
        );
      }
      const version = (head.contracts[id] ?? 0) + 1;
      const record: ContractVersionRecord = {
        contractId: id,
        version,
        revision,
        action: 'create',
        spec: c.spec,
        at: this.now(),
        by,
        changed: changedKeys(null, c.spec),
      };
      await tx.put(CONTRACT_VERSIONS, contractVersionKey(id, version), record);
      return { contracts: { ...head.contracts, [id]: version } };
    });
    this.o.logger?.info({ contract: id, by: by.tokenId }, 'contract created');
    return this.entry(id)!;
  }

  async updateContract(id: string, input: unknown, expectedVersion: number, by: ChangeAuthor): Promise<ContractEntry> {
    const c = this.validate(input);
    if (c.spec.id !== id)
      throw new CatalogueInvalidError([
        {
          path: 'id',
          expected: JSON.stringify(id),
          found: c.spec.id,
          message: `body.id: expected ${JSON.stringify(id)} (the contract in the URL), found ${JSON.stringify(c.spec.id)}`,
        },
      ]);
    await this.change(async (tx, head, revision) => {
      const latest = await LiveCatalogue.latest(tx, head, id);
      const inForce = latest?.spec ?? (this.hasDefault(id) ? this.defaults.get(id).spec : undefined);
      if (!inForce) throw new CatalogueNotFoundError(`contract ${JSON.stringify(id)} not found`);
      const current = head.contracts[id] ?? 0;
      const conflict = versionConflict(`contract ${id}`, expectedVersion, current);
      if (conflict) throw new CatalogueConflictError(conflict);
      const version = current + 1;
      const record: ContractVersionRecord = {
        contractId: id,
        version,
        revision,
        action: 'update',
        spec: c.spec,
        at: this.now(),
        by,
        changed: changedKeys(inForce, c.spec),
      };
      await tx.put(CONTRACT_VERSIONS, contractVersionKey(id, version), record);
      return { contracts: { ...head.contracts, [id]: version } };
    });
    this.o.logger?.info({ contract: id, by: by.tokenId }, 'contract updated');
    return this.entry(id)!;
  }

  /**
   * Deletes the API definition of a contract. With a preset/server.yaml definition underneath,
   * that one applies again; without, the contract is retired, which is refused (409 naming
   * them) while customers, the default contract, open tickets or impact rules still use it.
   * Stored versions stay: tickets opened under them keep their terms.
   */
  async retireContract(id: string, expectedVersion: number, by: ChangeAuthor): Promise<{ revertedTo: ContractEntry | null }> {
    await this.change(async (tx, head, revision) => {
      const latest = await LiveCatalogue.latest(tx, head, id);
      const current = head.contracts[id] ?? 0;
      if (!latest || latest.spec === null) {
        if (this.hasDefault(id)) {
          throw new CatalogueConflictError(
            `contract ${JSON.stringify(id)} is defined by ${this.configuredIds.has(id) ? 'server.yaml' : 'the presets'}, not through the API: it cannot be deleted here (edit server.yaml and restart)`,
          );
        }
        throw new CatalogueNotFoundError(`contract ${JSON.stringify(id)} not found`);
      }
      const conflict = versionConflict(`contract ${id}`, expectedVersion, current);
      if (conflict) throw new CatalogueConflictError(conflict);
      if (!this.hasDefault(id)) {
        const tickets = (await ticketStoreIn(tx).active()).filter(isOpen);
        const users = contractUsers(id, {
          customerContracts: this.o.customerContracts,
          defaultContract: this.o.defaultContract,
          openTickets: tickets.map((t) => ({ id: t.id, contractId: t.sla.contractId, customerContractId: t.customer.contractId })),
          impact: this.table,
        });
        if (!isUnused(users)) throw new CatalogueConflictError(`contract ${JSON.stringify(id)} is still in use: ${describeUsers(users)}`);
      }
      const version = current + 1;
      const fallback = this.hasDefault(id) ? this.defaults.get(id).spec : null;
      const record: ContractVersionRecord = {
        contractId: id,
        version,
        revision,
        action: 'retire',
        spec: null,
        at: this.now(),
        by,
        changed: changedKeys(latest.spec, fallback),
      };
      await tx.put(CONTRACT_VERSIONS, contractVersionKey(id, version), record);
      return { contracts: { ...head.contracts, [id]: version } };
    });
    this.o.logger?.info({ contract: id, by: by.tokenId }, this.hasDefault(id) ? 'contract reverted to its default' : 'contract retired');
    return { revertedTo: this.entry(id) ?? null };
  }

  /** Problems of a proposed table in context (unknown contracts); the schema checked the rest. */
  impactProblems(settings: ImpactSettings): ReferenceProblem[] {
    return unknownContractReferences(settings, new Set([...this.ids, ...PRESET_IDS]));
  }

  async setImpactRules(settings: ImpactSettings, expectedVersion: number, by: ChangeAuthor): Promise<ImpactEntry> {
    const problems = this.impactProblems(settings);
    if (problems.length > 0) throw new CatalogueInvalidError(problems);
    await this.change(async (tx, head, revision) => {
      const conflict = versionConflict('the impact rule table', expectedVersion, head.impactRules);
      if (conflict) throw new CatalogueConflictError(conflict);
      const version = head.impactRules + 1;
      const before = (await this.latestImpact(tx, head))?.settings ?? this.o.configImpact;
      const record: ImpactVersionRecord = { version, revision, action: 'update', settings, at: this.now(), by, changed: changedKeys(before, settings) };
      await tx.put(IMPACT_VERSIONS, impactVersionKey(version), record);
      return { impactRules: version };
    });
    this.o.logger?.info({ version: this.impactEntry().version, by: by.tokenId }, 'impact rule table changed');
    return this.impactEntry();
  }

  /** Back to server.yaml's table (recorded as a version of its own). */
  async revertImpactRules(expectedVersion: number, by: ChangeAuthor): Promise<ImpactEntry> {
    await this.change(async (tx, head, revision) => {
      const conflict = versionConflict('the impact rule table', expectedVersion, head.impactRules);
      if (conflict) throw new CatalogueConflictError(conflict);
      const before = (await this.latestImpact(tx, head))?.settings;
      if (!before) throw new CatalogueConflictError('the impact rule table in force is already the one of server.yaml');
      const version = head.impactRules + 1;
      const record: ImpactVersionRecord = {
        version,
        revision,
        action: 'revert',
        settings: null,
        at: this.now(),
        by,
        changed: changedKeys(before, this.o.configImpact),
      };
      await tx.put(IMPACT_VERSIONS, impactVersionKey(version), record);
      return { impactRules: version };
    });
    this.o.logger?.info({ by: by.tokenId }, 'impact rule table reverted to server.yaml');
    return this.impactEntry();
  }

  private async latestImpact(tx: Transaction, head: CatalogueHead): Promise<ImpactVersionRecord | undefined> {
    return head.impactRules === 0 ? undefined : tx.get<ImpactVersionRecord>(IMPACT_VERSIONS, impactVersionKey(head.impactRules));
  }
}
