/**
 * Which faults a simulated device shows, derived from its state: the explicit conditions plus,
 * for synthetic devices, the supply levels. One list feeds both protocol views.
 */
import type { ActiveFault, ConditionName, DeviceState, SimSupply } from './deviceModel.js';

type FaultTemplate = Omit<ActiveFault, 'key' | 'since' | 'alertGroupIndex' | 'description'> & { readonly description: string };

/** Per condition: its error bit, prtAlert group/code/training, IPP keyword (RFC 8011, PWG 5100.9). */
export const CONDITION_FAULTS: Record<ConditionName, FaultTemplate> = {
  lowPaper: {
    bit: 'lowPaper',
    severity: 'warning',
    alertGroup: 'input',
    alertCode: 'inputMediaSupplyLow',
    training: 'untrained',
    description: 'Paper low',
    ippReason: 'media-low-warning',
  },
  noPaper: {
    bit: 'noPaper',
    severity: 'critical',
    alertGroup: 'input',
    alertCode: 'inputMediaSupplyEmpty',
    training: 'untrained',
    description: 'Out of paper',
    ippReason: 'media-empty-error',
  },
  lowToner: {
    bit: 'lowToner',
    severity: 'warning',
    alertGroup: 'markerSupplies',
    alertCode: 'markerTonerAlmostEmpty',
    training: 'untrained',
    description: 'Toner low',
    ippReason: 'toner-low-warning',
  },
  noToner: {
    bit: 'noToner',
    severity: 'critical',
    alertGroup: 'markerSupplies',
    alertCode: 'markerTonerEmpty',
    training: 'untrained',
    description: 'Toner empty',
    ippReason: 'toner-empty-error',
  },
  doorOpen: {
    bit: 'doorOpen',
    severity: 'critical',
    alertGroup: 'cover',
    alertCode: 'coverOpen',
    training: 'untrained',
    description: 'Front cover open',
    ippReason: 'door-open-error',
  },
  jammed: {
    bit: 'jammed',
    severity: 'critical',
    alertGroup: 'mediaPath',
    alertCode: 'jam',
    training: 'untrained',
    description: 'Paper jam',
    ippReason: 'media-jam-error',
  },
  offline: {
    bit: 'offline',
    severity: 'critical',
    alertGroup: 'generalPrinter',
    alertCode: 'subunitOffline',
    training: 'trained',
    description: 'Printer offline',
    ippReason: 'offline-error',
  },
  serviceRequested: {
    bit: 'serviceRequested',
    severity: 'warning',
    alertGroup: 'generalPrinter',
    alertCode: 'other',
    training: 'fieldService',
    description: 'Service requested',
    ippReason: 'other-warning',
  },
  inputTrayMissing: {
    bit: 'inputTrayMissing',
    severity: 'critical',
    alertGroup: 'input',
    alertCode: 'inputMediaTrayMissing',
    training: 'untrained',
    description: 'Input tray missing',
    ippReason: 'input-tray-missing-error',
  },
  outputTrayMissing: {
    bit: 'outputTrayMissing',
    severity: 'critical',
    alertGroup: 'output',
    alertCode: 'outputMediaTrayMissing',
    training: 'untrained',
    description: 'Output tray missing',
    ippReason: 'output-tray-missing-error',
  },
  markerSupplyMissing: {
    bit: 'markerSupplyMissing',
    severity: 'critical',
    alertGroup: 'markerSupplies',
    alertCode: 'subunitMissing',
    training: 'untrained',
    description: 'Supply missing',
    ippReason: 'marker-supply-missing-error',
  },
  outputNearFull: {
    bit: 'outputNearFull',
    severity: 'warning',
    alertGroup: 'output',
    alertCode: 'outputMediaTrayAlmostFull',
    training: 'untrained',
    description: 'Output tray almost full',
    ippReason: 'output-area-almost-full-warning',
  },
  outputFull: {
    bit: 'outputFull',
    severity: 'critical',
    alertGroup: 'output',
    alertCode: 'outputMediaTrayFull',
    training: 'untrained',
    description: 'Output tray full',
    ippReason: 'output-area-full-error',
  },
  inputTrayEmpty: {
    bit: 'inputTrayEmpty',
    severity: 'warning',
    alertGroup: 'input',
    alertCode: 'inputMediaSupplyEmpty',
    training: 'untrained',
    description: 'Input tray empty',
    ippReason: 'media-empty-warning',
  },
  overduePreventMaint: {
    bit: 'overduePreventMaint',
    severity: 'warning',
    alertGroup: 'generalPrinter',
    alertCode: 'subunitLifeOver',
    training: 'fieldService',
    description: 'Preventive maintenance overdue',
    ippReason: 'subunit-life-over-warning',
  },
  // No error bit and no standard IPP keyword names the print head (domain-reference): devices
  // report it as a marker-group unrecoverable failure, which is what the simulator sends.
  printheadFault: {
    bit: null,
    severity: 'critical',
    alertGroup: 'marker',
    alertCode: 'subunitUnrecoverableFailure',
    training: 'fieldService',
    description: 'Print head failure',
    ippReason: 'subunit-unrecoverable-failure-error',
  },
};

/** Default thresholds, the same as the agent's: low at ≤ 10 % left, near-full at ≤ 10 % space left. */
export const LOW_PERCENT = 10;

/** Percentage of max, or null when level/max are not real quantities. */
export function supplyPercent(supply: Pick<SimSupply, 'level' | 'max'>): number | null {
  if (supply.max <= 0 || supply.level < 0) return null;
  return Math.max(0, Math.min(100, (supply.level / supply.max) * 100));
}

export type SupplyCondition = 'ok' | 'low' | 'empty';

/** low/empty for consumables; for receptacles "low" means almost full and "empty" means full. */
export function supplyCondition(supply: SimSupply): SupplyCondition {
  if (supply.level === 0 && supply.max !== 0) return 'empty';
  const pct = supplyPercent(supply);
  if (pct === null) return 'ok';
  if (pct <= 0) return 'empty';
  return pct <= LOW_PERCENT ? 'low' : 'ok';
}

function supplyFault(supply: SimSupply, cond: 'low' | 'empty'): FaultTemplate {
  const low = cond === 'low';
  const name = supply.description;
  switch (supply.family) {
    case 'toner':
      return {
        bit: low ? 'lowToner' : 'noToner',
        severity: low ? 'warning' : 'critical',
        alertGroup: 'markerSupplies',
        alertCode: low ? 'markerTonerAlmostEmpty' : 'markerTonerEmpty',
        training: 'untrained',
        description: `${name} ${low ? 'low' : 'empty'}`,
        ippReason: low ? 'toner-low-warning' : 'toner-empty-error',
      };
    case 'ink':
      return {
        bit: low ? 'lowToner' : 'noToner',
        severity: low ? 'warning' : 'critical',
        alertGroup: 'markerSupplies',
        alertCode: low ? 'markerInkAlmostEmpty' : 'markerInkEmpty',
        training: 'untrained',
        description: `${name} ${low ? 'low' : 'empty'}`,
        ippReason: low ? 'marker-supply-low-warning' : 'marker-supply-empty-error',
      };
    case 'waste': {
      const ink = supply.type === 8;
      return {
        bit: null,
        severity: low ? 'warning' : 'critical',
        alertGroup: 'markerSupplies',
        alertCode: ink
          ? low
            ? 'markerWasteInkReceptacleAlmostFull'
            : 'markerWasteInkReceptacleFull'
          : low
            ? 'markerWasteTonerReceptacleAlmostFull'
            : 'markerWasteTonerReceptacleFull',
        training: 'untrained',
        description: `${name} ${low ? 'almost full' : 'full'}`,
        ippReason: low ? 'marker-waste-almost-full-warning' : 'marker-waste-full-error',
      };
    }
    case 'drum':
      return {
        bit: null,
        severity: low ? 'warning' : 'critical',
        alertGroup: 'markerSupplies',
        alertCode: low ? 'markerOpcLifeAlmostOver' : 'markerOpcLifeOver',
        training: 'untrained',
        description: `${name} ${low ? 'near end of life' : 'at end of life'}`,
        ippReason: low ? 'opc-near-eol-warning' : 'opc-life-over-error',
      };
    case 'developer':
      return {
        bit: null,
        severity: low ? 'warning' : 'critical',
        alertGroup: 'markerSupplies',
        alertCode: low ? 'markerDeveloperAlmostEmpty' : 'markerDeveloperEmpty',
        training: 'trained',
        description: `${name} ${low ? 'low' : 'empty'}`,
        ippReason: low ? 'developer-low-warning' : 'developer-empty-error',
      };
    case 'staples':
      return {
        bit: null,
        severity: 'warning',
        alertGroup: 'markerSupplies',
        alertCode: low ? 'subunitAlmostEmpty' : 'subunitEmpty',
        training: 'untrained',
        description: `${name} ${low ? 'low' : 'empty'}`,
        ippReason: low ? 'subunit-almost-empty-warning' : 'subunit-empty-warning',
      };
    case 'other':
      return {
        bit: null,
        severity: 'warning',
        alertGroup: 'markerSupplies',
        alertCode: low ? 'subunitLifeAlmostOver' : 'subunitLifeOver',
        training: 'trained',
        description: `${name} ${low ? 'near end of life' : 'at end of life'}`,
        ippReason: low ? 'subunit-life-almost-over-warning' : 'subunit-life-over-warning',
      };
  }
}

/**
 * Active faults, most severe first then in the order they began. `supplySince` gives when a supply
 * entered its current low/empty state (scenarios track it); default 0.
 */
export function activeFaults(state: DeviceState, supplySince: (supply: SimSupply) => number = () => 0): ActiveFault[] {
  const out: ActiveFault[] = [];
  for (const [condition, since] of state.conditions) {
    const t = CONDITION_FAULTS[condition];
    out.push({ ...t, key: `condition:${condition}`, alertGroupIndex: condition === 'printheadFault' ? 1 : t.alertGroup === 'input' ? 2 : 1, since });
  }
  if (state.deriveSupplyConditions) {
    for (const supply of state.supplies) {
      const cond = supplyCondition(supply);
      if (cond === 'ok') continue;
      const t = supplyFault(supply, cond);
      out.push({ ...t, key: `supply:${supply.index}:${cond}`, alertGroupIndex: supply.index, since: supplySince(supply) });
    }
  }
  const rank = { critical: 0, warning: 1, report: 2 } as const;
  return out.sort((a, b) => rank[a.severity] - rank[b.severity] || a.since - b.since || a.key.localeCompare(b.key));
}

/** Overall health: down when any fault stops printing, warning when any warns. */
export function deviceHealth(faults: readonly ActiveFault[]): 'ok' | 'warning' | 'down' {
  if (faults.some((f) => f.severity === 'critical')) return 'down';
  if (faults.some((f) => f.severity === 'warning')) return 'warning';
  return 'ok';
}
