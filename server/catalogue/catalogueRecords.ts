/**
 * The editable catalogue (contracts and the impact rule table) as stored records, and the pure
 * rules about changing it.
 *
 * Layers: presets → server.yaml (`contracts`, `impact`) → API edits. Config-defined entries are
 * the defaults (version 0); every API change writes a new, immutable version record (1, 2, …)
 * naming who made it and when, so the version records ARE the audit trail, and a ticket that
 * recorded "contract standard v3" can always be evaluated under exactly those terms, even after
 * the contract was changed again or retired.
 *
 * One head record holds the latest version of everything: every change reads it, checks the
 * version the caller based its edit on (optimistic concurrency) and writes it back in the same
 * transaction, so two concurrent edits cannot both win (PostgreSQL: the head row is locked).
 */
import type { ImpactSettings } from '../impact/impactRules.js';
import type { ParsedContractSpec } from '../sla/contract.js';

/** Storage collections of the catalogue (names are part of the storage contract). */
export const CATALOGUE_COLLECTIONS = {
  /** `<contractId>@<version>` → ContractVersionRecord (immutable). */
  contractVersions: 'contractVersions',
  /** `v<version>` → ImpactVersionRecord (immutable). */
  impactVersions: 'impactRuleVersions',
  /** `head` → CatalogueHead. */
  heads: 'catalogueHeads',
} as const;

export const HEAD_ID = 'head';

/** Who made a change: the operator name recorded in ticket history and the token used. */
export interface ChangeAuthor {
  readonly name: string;
  readonly tokenId: string;
}

export type ContractAction = 'create' | 'update' | 'retire';
export type ImpactAction = 'update' | 'revert';

export interface ContractVersionRecord {
  readonly contractId: string;
  readonly version: number;
  /** The head revision this change produced: the order of all changes, contracts and rules alike. */
  readonly revision: number;
  readonly action: ContractAction;
  /** The validated spec (defaults applied); null for a retirement. */
  readonly spec: ParsedContractSpec | null;
  /** ISO instant. */
  readonly at: string;
  readonly by: ChangeAuthor;
  /** Top-level keys that differ from what was in force before (all keys for a creation). */
  readonly changed: string[];
}

export interface ImpactVersionRecord {
  readonly version: number;
  readonly revision: number;
  readonly action: ImpactAction;
  /** The validated table; null for a revert to server.yaml's. */
  readonly settings: ImpactSettings | null;
  readonly at: string;
  readonly by: ChangeAuthor;
  readonly changed: string[];
}

export interface CatalogueHead {
  /** Bumped on every change: other server instances reload when it moves. */
  readonly revision: number;
  /** Latest version per contract id changed through the API. */
  readonly contracts: Record<string, number>;
  /** Latest impact table version (0 = never changed through the API). */
  readonly impactRules: number;
}

export const EMPTY_HEAD: CatalogueHead = { revision: 0, contracts: {}, impactRules: 0 };

export function contractVersionKey(id: string, version: number): string {
  return `${id}@${version}`;
}

export function impactVersionKey(version: number): string {
  return `v${version}`;
}

/** Top-level keys whose values differ (JSON equality); all keys of `after` when there is no `before`. */
export function changedKeys(before: object | null, after: object | null): string[] {
  const a = (before ?? {}) as Record<string, unknown>;
  const b = (after ?? {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

/** Why a version number does not match: the message of a 409. */
export function versionConflict(what: string, expected: number, current: number): string | null {
  if (expected === current) return null;
  return `${what} is at version ${current}, the change was based on version ${expected}: re-read it and apply the change again`;
}

/** What still uses a contract id: the 409 of a deletion names them. */
export interface ContractUsers {
  readonly customers: string[];
  readonly defaultContract: boolean;
  readonly openTickets: string[];
  readonly impactRules: string[];
}

export interface UsageFacts {
  /** Customer id → its contract id (server.yaml fleet.customers). */
  readonly customerContracts: Readonly<Record<string, string | undefined>>;
  readonly defaultContract: string;
  readonly openTickets: ReadonlyArray<{ readonly id: string; readonly contractId: string; readonly customerContractId: string }>;
  readonly impact: ImpactSettings;
}

export function contractUsers(id: string, facts: UsageFacts): ContractUsers {
  return {
    customers: Object.entries(facts.customerContracts)
      .filter(([, c]) => c === id)
      .map(([customer]) => customer)
      .sort(),
    defaultContract: facts.defaultContract === id,
    openTickets: facts.openTickets
      .filter((t) => t.contractId === id || t.customerContractId === id)
      .map((t) => t.id)
      .sort(),
    impactRules: [
      ...facts.impact.rules.filter((r) => r.when.contracts?.includes(id)).map((r) => `rule ${r.id}`),
      ...(Object.hasOwn(facts.impact.contractScales, id) ? ['contractScales'] : []),
    ],
  };
}

export function isUnused(u: ContractUsers): boolean {
  return u.customers.length === 0 && !u.defaultContract && u.openTickets.length === 0 && u.impactRules.length === 0;
}

/** "customers acme, globex; open tickets T000001, …(12 more); …": at most `max` names per kind. */
export function describeUsers(u: ContractUsers, max = 20): string {
  const names = (label: string, ids: readonly string[]) =>
    ids.length === 0 ? [] : [`${label} ${ids.slice(0, max).join(', ')}${ids.length > max ? ` …(${ids.length - max} more)` : ''}`];
  return [
    ...names('customers', u.customers),
    ...(u.defaultContract ? ['tickets.defaultContract of server.yaml'] : []),
    ...names('open tickets', u.openTickets),
    ...names('impact rules', u.impactRules),
  ].join('; ');
}

/** A problem of an impact table that the schema cannot see: references to contracts that do not exist. */
export interface ReferenceProblem {
  /** Path inside the request body, e.g. "rules[2].when.contracts[0]". */
  readonly path: string;
  readonly expected: string;
  readonly found: string;
  readonly message: string;
}

/** `when.contracts` entries and `contractScales` keys must be known contract ids ("none" = no contract). */
export function unknownContractReferences(settings: ImpactSettings, knownIds: ReadonlySet<string>): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  const known = [...knownIds].sort().join(', ');
  settings.rules.forEach((rule, i) => {
    rule.when.contracts?.forEach((c, j) => {
      if (c !== 'none' && !knownIds.has(c))
        problems.push({
          path: `rules[${i}].when.contracts[${j}]`,
          expected: 'a known contract id or "none"',
          found: c,
          message: `rule ${rule.id}: unknown contract ${JSON.stringify(c)} (known: none, ${known})`,
        });
    });
  });
  for (const id of Object.keys(settings.contractScales)) {
    if (!knownIds.has(id))
      problems.push({
        path: `contractScales.${id}`,
        expected: 'a known contract id',
        found: id,
        message: `contractScales: unknown contract ${JSON.stringify(id)} (known: ${known})`,
      });
  }
  return problems;
}
