/** The server's metrics, on the shared Prometheus registry (shared/metrics.ts). */
import { Counter, Histogram, MetricsRegistry } from '../../shared/metrics.js';

export { Gauge, MetricsRegistry } from '../../shared/metrics.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The server's metrics, created once and shared by ingest, storage and HTTP. */
export class ServerMetrics {
  readonly registry = new MetricsRegistry();
  readonly messagesIn = this.registry.add(new Counter('fleetdesk_messages_in_total', 'MQTT messages received for ingest, by message type'));
  readonly accepted = this.registry.add(new Counter('fleetdesk_messages_accepted_total', 'messages applied to fleet state'));
  readonly rejected = this.registry.add(new Counter('fleetdesk_messages_rejected_total', 'messages rejected, by reason'));
  readonly duplicates = this.registry.add(new Counter('fleetdesk_messages_duplicate_total', 'messages dropped as repeats of an already processed message id'));
  readonly otherPartition = this.registry.add(
    new Counter('fleetdesk_messages_other_partition_total', "messages of another partition's agents, acknowledged and left to it (broker.external.partition)"),
  );
  readonly stale = this.registry.add(
    new Counter('fleetdesk_messages_stale_total', 'snapshots/telemetry older than the state already held (acknowledged, not applied)'),
  );
  readonly authFailures = this.registry.add(new Counter('fleetdesk_broker_auth_failures_total', 'MQTT connections refused, by reason'));
  readonly retainedRefused = this.registry.add(
    new Counter('fleetdesk_broker_retained_refused_total', 'retained publishes delivered but not kept: the retained store is full (embedded broker)'),
  );
  readonly ingestLatency = this.registry.add(
    new Histogram('fleetdesk_ingest_latency_seconds', 'time from receipt to durable commit of a message', LATENCY_BUCKETS),
  );
  readonly storeCommit = this.registry.add(
    new Histogram('fleetdesk_store_commit_seconds', 'duration of one durable storage commit (write + fsync)', LATENCY_BUCKETS),
  );
  readonly storeCommitBytes = this.registry.add(new Counter('fleetdesk_store_written_bytes_total', 'bytes written by storage commits'));
}
