/**
 * printer-state-reasons (RFC 8011 §5.4.12, PWG 5100.9 and the IANA registry) → canonical faults.
 *
 * A keyword is `<base>[-error|-warning|-report]`. The suffix decides severity (error → critical,
 * warning → warning, report → info); without a suffix a known keyword takes its fault's default
 * severity and an unknown one is `warning` (RFC 8011 would call it an error, but unsuffixed vendor
 * keywords such as CUPS's `cups-ipp-missing-send-document` are informational in practice).
 * Keywords that describe a normal condition (power-up, printer-ready-to-print, …) raise nothing;
 * keywords nobody maps (vendor ones included) are kept as `unclassified` with their raw keyword.
 */
import type { FaultCode, FaultSeverity } from '../../../shared/faults.js';
import { FAULTS } from '../../../shared/faults.js';

export type ReasonSuffix = 'error' | 'warning' | 'report' | null;

export interface ParsedReason {
  readonly keyword: string;
  readonly base: string;
  readonly suffix: ReasonSuffix;
}

export function parseReason(keyword: string): ParsedReason {
  const k = keyword.trim().toLowerCase();
  const m = /^(.*)-(error|warning|report)$/.exec(k);
  if (m && m[1]) return { keyword: k, base: m[1], suffix: m[2] as ReasonSuffix };
  return { keyword: k, base: k, suffix: null };
}

/** null: a normal or transitional condition, not a fault. */
type Mapping = FaultCode | null;

/** Exact base keywords. */
const EXACT: Readonly<Record<string, Mapping>> = {
  none: null,
  other: 'unclassified',
  // Media and paper path
  'media-low': 'paper.low',
  'media-empty': 'paper.empty',
  'media-needed': 'paper.empty',
  'media-jam': 'jam',
  'media-path-jam': 'jam',
  'media-path-input-jam': 'jam',
  'media-path-output-jam': 'jam',
  'media-path-input-feed-error': 'jam',
  'media-path-output-feed-error': 'jam',
  'media-path-failure': 'jam',
  'media-path-input-empty': 'paper.empty',
  'media-path-input-request': 'paper.empty',
  'media-path-media-tray-missing': 'input.trayMissing',
  'media-path-media-tray-almost-full': 'output.nearFull',
  'media-path-media-tray-full': 'output.full',
  'media-path-output-full': 'output.full',
  'media-path-pick-roller-failure': 'hardware.fault',
  'media-path-pick-roller-missing': 'hardware.fault',
  'media-path-pick-roller-life-warn': 'maintenance.due',
  'media-path-pick-roller-life-over': 'maintenance.due',
  'media-path-cannot-duplex-media-selected': 'unclassified',
  'media-drying': null,
  'input-tray-missing': 'input.trayMissing',
  'input-tray-elevation-failure': 'hardware.fault',
  'input-tray-position-failure': 'hardware.fault',
  'output-area-almost-full': 'output.nearFull',
  'output-area-full': 'output.full',
  'output-tray-missing': 'output.trayMissing',
  'output-mailbox-select-failure': 'hardware.fault',
  'output-media-tray-failure': 'hardware.fault',
  'output-media-tray-feed-error': 'jam',
  'output-media-tray-jam': 'jam',
  // Covers
  'cover-open': 'door.open',
  'door-open': 'door.open',
  'interlock-open': 'door.open',
  'cover-closed': null,
  'door-closed': null,
  'interlock-closed': null,
  // Marker supplies
  'toner-low': 'toner.low',
  'toner-empty': 'toner.empty',
  'marker-toner-cartridge-missing': 'supply.missing',
  'marker-supply-low': 'supply.low',
  'marker-supply-empty': 'supply.empty',
  'marker-supply-missing': 'supply.missing',
  'marker-ink-almost-empty': 'ink.low',
  'marker-ink-empty': 'ink.empty',
  'marker-ink-missing': 'supply.missing',
  'marker-print-ribbon-almost-empty': 'supply.low',
  'marker-print-ribbon-empty': 'supply.empty',
  'marker-waste-almost-full': 'waste.nearFull',
  'marker-waste-full': 'waste.full',
  'marker-waste-ink-receptacle-almost-full': 'waste.nearFull',
  'marker-waste-ink-receptacle-full': 'waste.full',
  'marker-waste-toner-receptacle-almost-full': 'waste.nearFull',
  'marker-waste-toner-receptacle-full': 'waste.full',
  'marker-waste-missing': 'supply.missing',
  'marker-fuser-thermistor-failure': 'fuser.fault',
  'marker-fuser-timing-failure': 'fuser.fault',
  'fuser-over-temp': 'fuser.fault',
  'fuser-under-temp': 'fuser.fault',
  'developer-low': 'developer.low',
  'developer-empty': 'supply.empty',
  'opc-near-eol': 'drum.nearEnd',
  'opc-life-over': 'drum.end',
  'cleaner-life-almost-over': 'maintenance.due',
  'cleaner-life-over': 'maintenance.due',
  // Device state
  offline: 'offline',
  shutdown: 'offline',
  deactivated: 'offline',
  'timed-out': 'offline',
  'service-off-line': 'offline',
  paused: 'paused',
  'moving-to-paused': 'paused',
  'hold-new-jobs': 'paused',
  'spool-area-full': 'spool.full',
  'motor-failure': 'hardware.fault',
  'camera-failure': 'scanner.fault',
  'scan-media-path-failure': 'scanner.fault',
  'interpreter-resource-unavailable': 'unclassified',
  'service-requested': 'service.requested',
  'connecting-to-device': null,
  'stopped-partly': null,
  stopping: null,
  'processing-to-stop-point': null,
  'power-down': null,
  'power-up': null,
  'printer-restarted': null,
  'printer-shutdown': null,
  'printer-manual-reset': null,
  'printer-nms-reset': null,
  'printer-ready-to-print': null,
  'identify-printer-requested': null,
  'configuration-change': null,
  'alert-removal-of-binary-change-entry': null,
  'input-media-color-change': 'unclassified',
  'input-media-form-parts-change': 'unclassified',
  'input-media-size-change': 'unclassified',
  'input-media-type-change': 'unclassified',
  'input-media-weight-change': 'unclassified',
  'input-manual-input-request': 'unclassified',
  'input-cannot-feed-size-selected': 'unclassified',
};

/** PWG 5100.9 sub-unit families: `<unit>-<condition>` (stapler-empty, folder-jam, subunit-missing, …). */
const UNIT_FAMILIES = [
  'subunit',
  'bander',
  'binder',
  'die-cutter',
  'folder',
  'imprinter',
  'inserter',
  'make-envelope',
  'perforater',
  'puncher',
  'separation-cutter',
  'sheet-rotator',
  'slitter',
  'stacker',
  'stapler',
  'stitcher',
  'trimmer',
  'wrapper',
  'laminator',
  'coating',
  'cleaner',
] as const;

function unitCondition(unit: string, condition: string): Mapping | undefined {
  const fastener = unit === 'stapler' || unit === 'stitcher';
  const isSubunit = unit === 'subunit';
  switch (condition) {
    case 'jam':
      return 'jam';
    case 'cover-open':
    case 'interlock-open':
    case 'opened':
      return 'door.open';
    case 'almost-empty':
      return fastener ? 'staples.low' : 'supply.low';
    case 'empty':
      return fastener ? 'staples.empty' : 'supply.empty';
    case 'almost-full':
      return isSubunit ? 'unclassified' : 'output.nearFull';
    case 'full':
      return isSubunit ? 'unclassified' : 'output.full';
    case 'missing':
    case 'removed':
      return isSubunit ? 'supply.missing' : 'hardware.fault';
    case 'life-almost-over':
    case 'life-over':
      return 'maintenance.due';
    case 'memory-exhausted':
    case 'motor-failure':
    case 'over-temperature':
    case 'under-temperature':
    case 'recoverable-failure':
    case 'unrecoverable-failure':
    case 'recoverable-storage':
    case 'unrecoverable-storage-error':
    case 'thermistor-failure':
    case 'timing-failure':
    case 'offline':
    case 'turned-off':
      return 'hardware.fault';
    case 'added':
    case 'addition':
    case 'at-limit':
    case 'near-limit':
    case 'closed':
    case 'cover-closed':
    case 'interlock-closed':
    case 'configuration-change':
    case 'power-saver':
    case 'resource-added':
    case 'resource-removed':
    case 'turned-on':
    case 'warming-up':
      return null;
    default:
      return undefined;
  }
}

/**
 * Vendor keywords (often reverse-DNS prefixed, e.g. `com.hp.printhead-failure`) are matched by the
 * words they contain; this is where print-head and ink problems arrive (docs/agent.md, IPP section).
 */
const VENDOR_PATTERNS: readonly (readonly [RegExp, FaultCode])[] = [
  [/print-?head|printhead|\bhead-(failure|error|missing|problem|alignment)/, 'printhead.fault'],
  [/ink-?system|ink-?supply-?system|ink-?pump|ink-?tube|ink-?charge/, 'inkSystem.fault'],
  [/ink.*(missing|not-installed|absent)|cartridge-missing|(missing|no)-(ink|cartridge)/, 'supply.missing'],
  [/ink.*(empty|out|depleted)|out-of-ink/, 'ink.empty'],
  [/ink.*(low|almost-empty)/, 'ink.low'],
  [/non-?(genuine|original|hp)|counterfeit|third-party|used-supply|refilled/, 'supply.nonGenuine'],
  [/toner.*(missing|not-installed)/, 'supply.missing'],
  [/toner.*empty/, 'toner.empty'],
  [/toner.*low/, 'toner.low'],
  [/waste.*almost-full|maintenance-box.*(near|almost)/, 'waste.nearFull'],
  [/waste.*full|maintenance-box.*full/, 'waste.full'],
  [/jam/, 'jam'],
  [/(door|cover)-?open/, 'door.open'],
];

export interface ReasonClassification {
  readonly reason: ParsedReason;
  /** null: not a fault (informational state). */
  readonly code: FaultCode | null;
  readonly severity: FaultSeverity;
  /** True when no table knows the keyword (kept as a raw, unclassified fault). */
  readonly unknown: boolean;
}

function lookup(base: string): { code: Mapping; known: boolean } {
  if (Object.prototype.hasOwnProperty.call(EXACT, base)) return { code: EXACT[base] ?? null, known: true };
  for (const unit of UNIT_FAMILIES) {
    if (base.startsWith(`${unit}-`)) {
      const code = unitCondition(unit, base.slice(unit.length + 1));
      if (code !== undefined) return { code, known: true };
    }
  }
  for (const [pattern, code] of VENDOR_PATTERNS) if (pattern.test(base)) return { code, known: true };
  return { code: 'unclassified', known: false };
}

export function severityForSuffix(suffix: ReasonSuffix, code: FaultCode, known: boolean): FaultSeverity {
  switch (suffix) {
    case 'error':
      return 'critical';
    case 'warning':
      return 'warning';
    case 'report':
      return 'info';
    default:
      return known ? FAULTS[code].severity : 'warning';
  }
}

export function classifyReason(keyword: string): ReasonClassification {
  const reason = parseReason(keyword);
  const { code, known } = lookup(reason.base);
  if (code === null) return { reason, code: null, severity: 'info', unknown: false };
  return { reason, code, severity: severityForSuffix(reason.suffix, code, known), unknown: !known };
}
