/**
 * A minimal Prometheus text exposition (format 0.0.4): counters, gauges and one kind of
 * histogram. Small on purpose; the agent exposes a few dozen series.
 */

type Labels = Readonly<Record<string, string>>;

function labelText(labels: Labels | undefined): string {
  if (!labels) return '';
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {
    this.counts = buckets.map(() => 0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) this.counts[i]!++;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{le="${num(b)}"} ${this.counts[i]}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${num(this.sum)}`, `${this.name}_count ${this.count}`);
    return lines.join('\n');
  }
}

export interface Sample {
  readonly value: number;
  readonly labels?: Labels;
}

/** One metric family rendered from values read at scrape time. */
export function family(name: string, type: 'counter' | 'gauge', help: string, samples: readonly Sample[] | number): string {
  const list = typeof samples === 'number' ? [{ value: samples }] : samples;
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...list.map((s) => `${name}${labelText(s.labels)} ${num(s.value)}`)].join('\n');
}
