/**
 * A minimal Prometheus registry (text exposition format 0.0.4): counters and gauges with labels,
 * histograms with fixed buckets, and families rendered from values read at scrape time. Enough
 * for the agent's and the server's /metrics without another dependency; counters sit on the
 * server's per-message hot path, so label text is memoised.
 */
export type Labels = Readonly<Record<string, string>>;

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

export interface Metric {
  render(): string;
}

/** Counters bumped per message mostly carry one label: its rendered text is kept per value. */
const SINGLE_LABEL_MEMO = 1000;

export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  private readonly singleLabel = new Map<string, Map<string, string>>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  private key(labels: Labels): string {
    let name: string | undefined;
    for (const k in labels) {
      if (name !== undefined) return labelText(labels);
      name = k;
    }
    if (name === undefined) return '';
    const value = labels[name]!;
    let byValue = this.singleLabel.get(name);
    const known = byValue?.get(value);
    if (known !== undefined) return known;
    const text = labelText(labels);
    if (!byValue) this.singleLabel.set(name, (byValue = new Map<string, string>()));
    if (byValue.size < SINGLE_LABEL_MEMO) byValue.set(value, text);
    return text;
  }
  inc(labels: Labels = {}, by = 1): void {
    const key = this.key(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(this.key(labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [k, v] of this.values) lines.push(`${this.name}${k} ${v}`);
    return lines.join('\n');
  }
}

export class Gauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number | Readonly<Record<string, number>>,
    private readonly labelName = 'kind',
  ) {}
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    const v = this.read();
    if (typeof v === 'number') lines.push(`${this.name} ${v}`);
    else for (const [k, n] of Object.entries(v)) lines.push(`${this.name}${labelText({ [this.labelName]: k })} ${n}`);
    return lines.join('\n');
  }
}

export class Histogram implements Metric {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
  ) {
    this.counts = buckets.map(() => 0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count += 1;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) this.counts[i]! += 1;
  }
  get observations(): number {
    return this.count;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{le="${num(b)}"} ${this.counts[i]}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${num(this.sum)}`, `${this.name}_count ${this.count}`);
    return lines.join('\n');
  }
}

export class MetricsRegistry {
  private readonly metrics: Metric[] = [];
  add<M extends Metric>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }
  render(): string {
    return `${this.metrics.map((m) => m.render()).join('\n')}\n`;
  }
}

export interface Sample {
  readonly value: number;
  readonly labels?: Labels;
}

/** One metric family rendered from values read at scrape time (gauges of current state). */
export function family(name: string, type: 'counter' | 'gauge', help: string, samples: readonly Sample[] | number): string {
  const list = typeof samples === 'number' ? [{ value: samples }] : samples;
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...list.map((s) => `${name}${s.labels ? labelText(s.labels) : ''} ${num(s.value)}`)].join('\n');
}
