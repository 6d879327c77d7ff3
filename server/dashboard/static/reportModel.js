/**
 * The SLA report page's arithmetic (pure, unit-tested from Node): month ranges, the chart
 * series (compliance % per customer and month; breached reaction targets per impact and month)
 * and the totals of the rows shown. Rows are the API's ComplianceRow objects.
 */
export const IMPACTS = ['critical', 'high', 'medium', 'low'];
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isMonth(s) {
  return typeof s === 'string' && MONTH.test(s);
}

/** "YYYY-MM" of a Date in its local time, shifted by `delta` months. */
export function monthOf(date, delta = 0) {
  const d = new Date(date.getFullYear(), date.getMonth() + delta, 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

/** Every month from `since` to `until` inclusive (at most `max`, the latest ones); [] when reversed or invalid. */
export function monthRange(since, until, max = 36) {
  if (!isMonth(since) || !isMonth(until) || since > until) return [];
  const out = [];
  let [y, m] = since.split('-').map(Number);
  for (;;) {
    const cur = `${y}-${String(m).padStart(2, '0')}`;
    if (cur > until) break;
    out.push(cur);
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
  }
  return out.slice(-max);
}

/**
 * Compliance % per customer (one series each) over `months`. A customer with several contracts
 * in a month gets met / (met + breached) over all of them; null where nothing was decided.
 */
export function complianceSeries(rows, months, nameOf = (id) => id) {
  const customers = [...new Set(rows.map((r) => r.customerId))].sort();
  return customers.map((c) => ({
    label: nameOf(c),
    data: months.map((m) => {
      const rs = rows.filter((r) => r.customerId === c && r.month === m);
      const met = rs.reduce((s, r) => s + r.met, 0);
      const decided = met + rs.reduce((s, r) => s + r.breached, 0);
      return decided === 0 ? null : Math.round((met / decided) * 1000) / 10;
    }),
  }));
}

/** Breached reaction targets per impact (one series each) over `months`, summed over customers. */
export function breachSeries(rows, months, labelOf = (i) => i) {
  return IMPACTS.map((impact) => ({
    impact,
    label: labelOf(impact),
    data: months.map((m) => rows.filter((r) => r.month === m).reduce((s, r) => s + (r.breachedByImpact?.[impact] ?? 0), 0)),
  }));
}

/** Totals of the rows; compliance over every decided ticket (null when none was). */
export function totals(rows) {
  const sum = (k) => rows.reduce((s, r) => s + r[k], 0);
  const met = sum('met');
  const breached = sum('breached');
  return {
    tickets: sum('tickets'),
    met,
    breached,
    pending: sum('pending'),
    notGuaranteed: sum('notGuaranteed'),
    compliancePercent: met + breached === 0 ? null : Math.round((met / (met + breached)) * 1000) / 10,
  };
}
