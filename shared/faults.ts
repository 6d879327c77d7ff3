/**
 * Canonical fault taxonomy.
 *
 * Codes are stable identifiers: dashboards, contracts, impact rules and stored tickets refer to
 * them, so a code is never renamed or reused. New codes may be added; retired ones stay here
 * with `deprecated: true`.
 *
 * `severity` is the device-side default (how bad it is for the printer itself); the server's
 * impact classification turns a fault into a business impact (critical/high/medium/low).
 */
import { z } from 'zod';

export const FaultSeverity = z.enum(['critical', 'warning', 'info']);
export type FaultSeverity = z.infer<typeof FaultSeverity>;

/** Broad area of the device; used for grouping in the dashboard and for routing rules. */
export const FaultCategory = z.enum(['media', 'supply', 'cover', 'mediaPath', 'hardware', 'service', 'connectivity', 'other']);
export type FaultCategory = z.infer<typeof FaultCategory>;

export interface FaultDefinition {
  readonly severity: FaultSeverity;
  readonly category: FaultCategory;
  /** Printing cannot continue until someone acts. */
  readonly stopsPrinting: boolean;
  /** Ink system, print head and ink problems: the vendors' specialist line (support-contracts §1). */
  readonly inkOrHead: boolean;
  readonly label: { readonly en: string; readonly pl: string };
}

function def(
  severity: FaultSeverity,
  category: FaultCategory,
  en: string,
  pl: string,
  opts: { stopsPrinting?: boolean; inkOrHead?: boolean } = {},
): FaultDefinition {
  return {
    severity,
    category,
    stopsPrinting: opts.stopsPrinting ?? severity === 'critical',
    inkOrHead: opts.inkOrHead ?? false,
    label: { en, pl },
  };
}

export const FAULTS = {
  // Media (paper) and trays
  'paper.low': def('warning', 'media', 'Paper low', 'Mało papieru'),
  'paper.empty': def('critical', 'media', 'Out of paper', 'Brak papieru'),
  'input.trayMissing': def('critical', 'media', 'Input tray missing', 'Brak podajnika papieru'),
  'output.trayMissing': def('critical', 'media', 'Output tray missing', 'Brak tacy odbiorczej'),
  'output.nearFull': def('warning', 'media', 'Output tray almost full', 'Taca odbiorcza prawie pełna'),
  'output.full': def('critical', 'media', 'Output tray full', 'Taca odbiorcza pełna'),
  // Paper path and covers
  jam: def('critical', 'mediaPath', 'Paper jam', 'Zacięcie papieru'),
  'door.open': def('critical', 'cover', 'Door or cover open', 'Otwarte drzwiczki lub pokrywa'),
  // Toner and ink
  'toner.low': def('warning', 'supply', 'Toner low', 'Mało tonera'),
  'toner.empty': def('critical', 'supply', 'Toner empty', 'Brak tonera'),
  'ink.low': def('warning', 'supply', 'Ink low', 'Mało atramentu', { inkOrHead: true }),
  'ink.empty': def('critical', 'supply', 'Ink empty', 'Brak atramentu', { inkOrHead: true }),
  'printhead.fault': def('critical', 'hardware', 'Print head fault', 'Usterka głowicy drukującej', { inkOrHead: true }),
  'inkSystem.fault': def('critical', 'hardware', 'Ink system fault', 'Usterka układu atramentowego', { inkOrHead: true }),
  'supply.missing': def('critical', 'supply', 'Supply missing', 'Brak materiału eksploatacyjnego'),
  'supply.low': def('warning', 'supply', 'Supply low', 'Materiał eksploatacyjny na wyczerpaniu'),
  'supply.empty': def('critical', 'supply', 'Supply empty', 'Materiał eksploatacyjny wyczerpany'),
  'supply.nonGenuine': def('info', 'supply', 'Non-genuine supply detected', 'Wykryto nieoryginalny materiał eksploatacyjny', { stopsPrinting: false }),
  'developer.low': def('warning', 'supply', 'Developer low', 'Mało wywoływacza'),
  'staples.low': def('warning', 'supply', 'Staples low', 'Mało zszywek'),
  'staples.empty': def('warning', 'supply', 'Staples empty', 'Brak zszywek', { stopsPrinting: false }),
  // Receptacles and drum
  'waste.nearFull': def('warning', 'supply', 'Waste container almost full', 'Pojemnik na zużyty toner prawie pełny'),
  'waste.full': def('critical', 'supply', 'Waste container full', 'Pojemnik na zużyty toner pełny'),
  'drum.nearEnd': def('warning', 'supply', 'Drum near end of life', 'Bęben bliski końca żywotności'),
  'drum.end': def('critical', 'supply', 'Drum at end of life', 'Koniec żywotności bębna'),
  // Hardware units
  'fuser.fault': def('critical', 'hardware', 'Fuser fault', 'Usterka utrwalacza'),
  'fuser.nearEnd': def('warning', 'hardware', 'Fuser near end of life', 'Utrwalacz bliski końca żywotności'),
  'transfer.nearEnd': def('warning', 'hardware', 'Transfer unit near end of life', 'Zespół transferu bliski końca żywotności'),
  'hardware.fault': def('critical', 'hardware', 'Hardware failure', 'Awaria sprzętowa'),
  'scanner.fault': def('warning', 'hardware', 'Scanner fault', 'Usterka skanera', { stopsPrinting: false }),
  // Service
  'maintenance.due': def('warning', 'service', 'Maintenance due', 'Wymagana konserwacja'),
  'service.requested': def('critical', 'service', 'Service requested', 'Wymagana interwencja serwisu', { stopsPrinting: false }),
  // Device and connectivity states
  offline: def('critical', 'connectivity', 'Device offline', 'Urządzenie w trybie offline'),
  paused: def('warning', 'connectivity', 'Printer paused', 'Drukarka wstrzymana', { stopsPrinting: true }),
  'spool.full': def('warning', 'other', 'Spool area full', 'Pełny bufor zadań', { stopsPrinting: false }),
  'device.unreachable': def('critical', 'connectivity', 'Device not responding', 'Urządzenie nie odpowiada'),
  /** Raised by the server, not by a device: the site's agent stopped reporting. */
  'agent.offline': def('critical', 'connectivity', 'Monitoring agent offline', 'Agent monitorujący niedostępny'),
  /** Raised by the server, not by a device: a supply is forecast to run out within the order lead time (issue 9). */
  'supply.order': def('info', 'supply', 'Supply to order (forecast)', 'Materiał do zamówienia (prognoza)', { stopsPrinting: false }),
  /** A fault the device reported that no rule maps yet: kept with its raw code, never dropped. */
  unclassified: def('warning', 'other', 'Unclassified device alert', 'Nierozpoznany alarm urządzenia', { stopsPrinting: false }),
} as const satisfies Record<string, FaultDefinition>;

export type FaultCode = keyof typeof FAULTS;

export const FAULT_CODES = Object.keys(FAULTS) as FaultCode[];

export const FaultCodeSchema = z.enum(FAULT_CODES as [FaultCode, ...FaultCode[]]);

export function isFaultCode(value: string): value is FaultCode {
  return Object.prototype.hasOwnProperty.call(FAULTS, value);
}

export function faultDefinition(code: FaultCode): FaultDefinition {
  return FAULTS[code];
}

export type Language = 'en' | 'pl';

export function faultLabel(code: FaultCode, lang: Language): string {
  return FAULTS[code].label[lang];
}
