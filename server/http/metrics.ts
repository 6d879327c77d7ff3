/**
 * A minimal Prometheus registry (text exposition format 0.0.4): counters and gauges with labels,
 * and histograms with fixed buckets. Enough for /metrics without another dependency.
 */
type Labels = Readonly<Record<string, string>>;

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

interface Metric {
  render(): string;
}

export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels)) ?? 0;
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
    this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{le="${b}"} ${this.counts[i]}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${this.sum}`, `${this.name}_count ${this.count}`);
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

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The server's metrics, created once and shared by ingest, storage and HTTP. */
export class ServerMetrics {
  readonly registry = new MetricsRegistry();
  readonly messagesIn = this.registry.add(new Counter('fleetdesk_messages_in_total', 'MQTT messages received for ingest, by message type'));
  readonly accepted = this.registry.add(new Counter('fleetdesk_messages_accepted_total', 'messages applied to fleet state'));
  readonly rejected = this.registry.add(new Counter('fleetdesk_messages_rejected_total', 'messages rejected, by reason'));
  readonly duplicates = this.registry.add(new Counter('fleetdesk_messages_duplicate_total', 'messages dropped as repeats of an already processed message id'));
  readonly stale = this.registry.add(new Counter('fleetdesk_messages_stale_total', 'snapshots/telemetry older than the state already held (acknowledged, not applied)'));
  readonly authFailures = this.registry.add(new Counter('fleetdesk_broker_auth_failures_total', 'MQTT connections refused, by reason'));
  readonly ingestLatency = this.registry.add(new Histogram('fleetdesk_ingest_latency_seconds', 'time from receipt to durable commit of a message', LATENCY_BUCKETS));
  readonly storeCommit = this.registry.add(new Histogram('fleetdesk_store_commit_seconds', 'duration of one durable storage commit (write + fsync)', LATENCY_BUCKETS));
  readonly storeCommitBytes = this.registry.add(new Counter('fleetdesk_store_written_bytes_total', 'bytes written by storage commits'));
}
