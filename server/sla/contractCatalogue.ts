/**
 * The contracts a server knows: the presets plus those from configuration (server.yaml
 * `contracts:` or an API), validated once. A configured contract may reuse a preset id to
 * override it. Lookups of unknown ids throw an error naming the known ones.
 */
import { z } from 'zod';
import { compileContract, ContractError, ContractSpec, type Contract } from './contract.js';
import { PRESET_IDS, presetContract } from './presets.js';

/** Config shape: a list of contract specs. */
export const ContractsSettings = z.array(ContractSpec).max(1000).default([]);
export type ContractsSettings = z.input<typeof ContractsSettings>;

export interface ContractCatalogue {
  readonly ids: readonly string[];
  /**
   * The contract in force (no version), or the exact version a ticket was opened under (0 = the
   * preset/server.yaml definition). A static catalogue has only version 0.
   */
  get(id: string, version?: number): Contract;
}

export function contractCatalogue(specs: readonly unknown[] = [], origin = 'contracts'): ContractCatalogue {
  const custom = new Map<string, Contract>();
  specs.forEach((spec, i) => {
    const c = compileContract(spec, `${origin}[${i}]`);
    if (custom.has(c.spec.id)) throw new ContractError(`${origin}[${i}]: contract id ${c.spec.id} is defined twice`);
    custom.set(c.spec.id, c);
  });
  const ids = [...new Set([...PRESET_IDS, ...custom.keys()])];
  return {
    ids,
    get(id: string): Contract {
      const hit = custom.get(id);
      if (hit) return hit;
      if (PRESET_IDS.includes(id)) return presetContract(id);
      throw new ContractError(`unknown contract ${JSON.stringify(id)}: known contracts are ${ids.join(', ')}`);
    },
  };
}
