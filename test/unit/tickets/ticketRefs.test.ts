/** How a ticket records the fleet's facts from a fleet event: customer with contract, device, evidence. */
import { describe, expect, it } from 'vitest';
import { agentKey, customerRef, deviceRef, faultEvidence, ms } from '../../../server/tickets/ticketRefs.js';
import { deviceContext, raised } from './fixtures.js';

describe('ticket refs', () => {
  it('a customer without a contract gets the default one and a placeholder contact', () => {
    expect(customerRef({ id: 'acme', name: 'ACME', contract: undefined, contact: undefined }, 'device-vendor')).toEqual({
      id: 'acme',
      name: 'ACME',
      contact: { name: '(no contact on file)' },
      contractId: 'device-vendor',
    });
    expect(customerRef({ id: 'acme', name: 'ACME', contract: 'premium', contact: { name: 'Anna' } }, 'device-vendor').contractId).toBe('premium');
  });

  it('the device by its fleet key; agents by tenant and agent id', () => {
    expect(deviceRef(deviceContext())).toEqual({
      id: 'dev-1',
      vendor: 'HP',
      model: 'LaserJet M507',
      serial: 'SN-dev-1',
      address: '127.0.0.1:161',
      location: 'floor 2',
    });
    expect(agentKey('acme', 'agent-1')).toBe('acme:agent-1');
  });

  it("evidence: the fault's own message and code, alert rows, state reasons, supplies and counters from the snapshot excerpt", () => {
    const e = raised('jam', 0, { subunit: { group: 'mediaPath', index: 2 } });
    const ipp = { code: 'jam' as const, severity: 'critical' as const, source: 'ippStateReason' as const, message: 'media jam', rawCode: 'media-jam-error' };
    const evidence = faultEvidence(e.fault, { ...e.evidence, faults: [...e.evidence.faults, ipp] });
    expect(evidence).toMatchObject({
      message: 'jam reported',
      source: 'prtAlert',
      stateReasons: ['media-jam-error'],
      alerts: [{ code: 'jam', source: 'prtAlert', group: 'mediaPath', index: 2 }],
      supplies: [{ name: 'Black Toner', levelPercent: 3 }],
      counters: { total: 12345 },
    });
    expect(faultEvidence(undefined, undefined, '3 failed polls')).toMatchObject({ message: '3 failed polls' });
  });

  it('an event with a broken instant is an error naming the value', () => {
    expect(() => ms('soon')).toThrow('fleet event carries an invalid instant "soon"');
  });
});
