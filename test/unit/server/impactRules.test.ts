import { describe, expect, it } from 'vitest';
import { FAULT_CODES, type FaultCode } from '../../../shared/faults.js';
import { toProblems } from '../../../shared/validation.js';
import { classifyImpact, DEFAULT_IMPACT_SETTINGS, ImpactSettings, type ImpactInput } from '../../../server/impact/impactRules.js';

const base: Omit<ImpactInput, 'fault'> = { deviceCritical: false, onlyDeviceOnSite: false, contract: undefined };
const classify = (fault: FaultCode, extra: Partial<ImpactInput> = {}) => classifyImpact(DEFAULT_IMPACT_SETTINGS, { ...base, fault, ...extra });

describe('impact classification (default rules)', () => {
  it.each<[FaultCode, Partial<ImpactInput>, string, string]>([
    ['device.unreachable', {}, 'critical', 'device-down'],
    ['offline', {}, 'critical', 'device-down'],
    ['agent.offline', {}, 'critical', 'device-down'],
    ['fuser.fault', {}, 'critical', 'hardware-stop'],
    ['jam', { onlyDeviceOnSite: true }, 'critical', 'stop-single-device'],
    ['toner.empty', { onlyDeviceOnSite: true }, 'critical', 'stop-single-device'],
    ['ink.empty', { onlyDeviceOnSite: true }, 'critical', 'stop-single-device'],
    ['door.open', { deviceCritical: true }, 'critical', 'stop-critical-device'],
    ['jam', {}, 'high', 'stop-with-alternatives'],
    ['toner.empty', {}, 'high', 'stop-with-alternatives'],
    ['service.requested', {}, 'medium', 'function-lost'],
    ['scanner.fault', {}, 'medium', 'degraded'],
    ['toner.low', {}, 'low', 'warning'],
    ['maintenance.due', { onlyDeviceOnSite: true }, 'low', 'warning'],
    ['supply.nonGenuine', {}, 'low', 'warning'],
  ])('%s %o → %s by rule %s', (fault, extra, level, ruleId) => {
    const r = classify(fault, extra);
    expect(r.level).toBe(level);
    expect(r.ruleId).toBe(ruleId);
    expect(r.explanation).toContain(`rule ${ruleId}`);
    expect(r.explanation).toContain(fault);
  });

  it('classifies every known fault code by a named rule', () => {
    for (const code of FAULT_CODES) {
      const r = classify(code);
      expect(DEFAULT_IMPACT_SETTINGS.rules.map((x) => x.id)).toContain(r.ruleId);
    }
  });

  it('leaves routing to the contract unless a rule names a queue', () => {
    for (const code of FAULT_CODES) expect(classify(code).queue).toBeUndefined();
    const settings = ImpactSettings.parse({
      rules: [
        { id: 'heads', when: { inkOrHead: true }, level: 'high', queue: 'ink-head' },
        { id: 'rest', level: 'low' },
      ],
    });
    expect(classifyImpact(settings, { fault: 'printhead.fault', deviceCritical: false, onlyDeviceOnSite: false, contract: undefined }).queue).toBe('ink-head');
    expect(classifyImpact(settings, { fault: 'jam', deviceCritical: false, onlyDeviceOnSite: false, contract: undefined }).queue).toBeUndefined();
  });

  it('maps to the contract scale when the contract has one, and honours contract conditions', () => {
    const settings = ImpactSettings.parse({
      rules: [
        { id: 'premium-jam', when: { faults: ['jam'], contracts: ['premium'] }, level: 'critical', queue: 'general' },
        { id: 'rest', level: 'low' },
      ],
      contractScales: { premium: { critical: '1', high: '2', medium: '3', low: '4' } },
    });
    const premium = classifyImpact(settings, { ...base, fault: 'jam', contract: 'premium' });
    expect(premium).toMatchObject({ level: 'critical', ruleId: 'premium-jam', contractPriority: '1' });
    const none = classifyImpact(settings, { ...base, fault: 'jam' });
    expect(none).toMatchObject({ level: 'low', ruleId: 'rest' });
    expect(none.contractPriority).toBeUndefined();
  });
});

describe('impact rule validation', () => {
  const messages = (input: unknown) => {
    const r = ImpactSettings.safeParse(input);
    return r.success ? [] : toProblems(r.error).map((p) => p.message);
  };

  it('requires a final catch-all rule', () => {
    expect(messages({ rules: [{ id: 'a', when: { faults: ['jam'] }, level: 'high' }] }).join('\n')).toContain('must be a catch-all');
  });

  it('refuses duplicate ids and a catch-all that hides later rules', () => {
    const m = messages({
      rules: [
        { id: 'x', when: {}, level: 'low' },
        { id: 'x', when: { faults: ['jam'] }, level: 'high' },
        { id: 'z', level: 'low' },
      ],
    }).join('\n');
    expect(m).toContain('duplicate rule id "x"');
    expect(m).toContain('can never fire');
  });

  it('refuses unknown fault codes, naming the path', () => {
    expect(
      messages({
        rules: [
          { id: 'a', when: { faults: ['no.such.fault'] }, level: 'high' },
          { id: 'z', level: 'low' },
        ],
      }).join('\n'),
    ).toContain('rules[0].when.faults[0]');
  });

  it('refuses unknown levels and queues', () => {
    const m = messages({ rules: [{ id: 'a', level: 'urgent', queue: 'vip' }] }).join('\n');
    expect(m).toContain('rules[0].level');
    expect(m).toContain('rules[0].queue');
  });
});
