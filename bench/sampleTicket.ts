/**
 * A ticket-sized record (about 600 bytes of JSON) for the storage write-cost benchmarks, so the
 * lowdb and PostgreSQL figures are measured on the same record.
 */
export function sampleTicket(i: number, state: string) {
  return {
    id: `T-${i}`,
    state,
    device: `acme/sn:CNB${(100000 + (i % 5000)).toString()}`,
    fault: 'toner.empty',
    impact: { level: 'high', ruleId: 'stop-with-alternatives', queue: 'general' },
    customer: 'acme',
    site: 'acme-hq',
    openedAt: '2026-03-02T08:15:00.000Z',
    history: [
      { at: '2026-03-02T08:15:00.000Z', by: 'system', what: 'opened' },
      { at: '2026-03-02T09:01:00.000Z', by: 'jan.kowalski', what: 'acknowledged' },
      { at: '2026-03-02T11:30:00.000Z', by: 'jan.kowalski', what: state },
    ],
    evidence: { supplies: [{ name: 'Black Toner', levelPercent: 0 }], counters: { total: 123456 + i } },
  };
}
