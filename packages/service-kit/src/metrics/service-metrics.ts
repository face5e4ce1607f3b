import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ServiceMetricsOptions {
  /** Set as the `service` label on every series. */
  service: string;
  /** Process metrics (CPU, memory, event loop lag, GC); on by default. */
  defaultMetrics?: boolean;
}

/** Label values of the record counters. */
export type RecordLabels = { topic: string; group: string; outcome: string };

/**
 * One Prometheus registry per service with the metrics of issue 4. Names are stable: dashboards and alerts
 * depend on them. Everything else (HTTP, business metrics) registers on `registry` too.
 *
 * Labels, and the values the runtime uses:
 * - records_handled_total{topic,group,outcome}: outcome `processed` | `duplicate` (inbox hit) | `skipped`
 * - records_retried_total{topic,group,outcome}: outcome `retry` (backoff in place) | `parked` (retry later)
 * - records_dead_lettered_total{topic,group,outcome}: outcome = the error code that sent it there
 * - consumer_lag{topic,group,partition}: high watermark − committed offset
 * - outbox_backlog{outbox} / outbox_oldest_age_seconds{outbox}: outbox = `<schema>.<table>`
 * - rxscale_calls_total{operation,status,pharmacy} / rxscale_call_duration_seconds{operation,status}:
 *   status = HTTP status code or `network_error` | `timeout`. The pharmacy label is on the counter only:
 *   histograms times pharmacies would multiply series by the bucket count.
 */
export class ServiceMetrics {
  readonly registry: Registry;
  readonly recordsHandled: Counter<'topic' | 'group' | 'outcome'>;
  readonly recordsRetried: Counter<'topic' | 'group' | 'outcome'>;
  readonly recordsDeadLettered: Counter<'topic' | 'group' | 'outcome'>;
  readonly consumerLag: Gauge<'topic' | 'group' | 'partition'>;
  readonly outboxBacklog: Gauge<'outbox'>;
  readonly outboxOldestAgeSeconds: Gauge<'outbox'>;
  readonly rxscaleCalls: Counter<'operation' | 'status' | 'pharmacy'>;
  readonly rxscaleCallDuration: Histogram<'operation' | 'status'>;

  constructor(options: ServiceMetricsOptions) {
    this.registry = new Registry();
    this.registry.setDefaultLabels({ service: options.service });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];

    this.recordsHandled = new Counter({
      name: 'rxbridge_records_handled_total',
      help: 'Kafka records handled by a consumer group, by outcome',
      labelNames: ['topic', 'group', 'outcome'],
      registers,
    });
    this.recordsRetried = new Counter({
      name: 'rxbridge_records_retried_total',
      help: 'Retries of Kafka records after a transient failure',
      labelNames: ['topic', 'group', 'outcome'],
      registers,
    });
    this.recordsDeadLettered = new Counter({
      name: 'rxbridge_records_dead_lettered_total',
      help: 'Kafka records sent to the dead-letter topic, by error code',
      labelNames: ['topic', 'group', 'outcome'],
      registers,
    });
    this.consumerLag = new Gauge({
      name: 'rxbridge_consumer_lag',
      help: 'Records not yet committed by the consumer group, per partition',
      labelNames: ['topic', 'group', 'partition'],
      registers,
    });
    this.outboxBacklog = new Gauge({
      name: 'rxbridge_outbox_backlog',
      help: 'Outbox rows not yet published or executed',
      labelNames: ['outbox'],
      registers,
    });
    this.outboxOldestAgeSeconds = new Gauge({
      name: 'rxbridge_outbox_oldest_age_seconds',
      help: 'Age of the oldest pending outbox row, 0 when empty',
      labelNames: ['outbox'],
      registers,
    });
    this.rxscaleCalls = new Counter({
      name: 'rxbridge_rxscale_calls_total',
      help: 'Calls to the RxScale API, by operation and response status',
      labelNames: ['operation', 'status', 'pharmacy'],
      registers,
    });
    this.rxscaleCallDuration = new Histogram({
      name: 'rxbridge_rxscale_call_duration_seconds',
      help: 'Duration of RxScale API calls',
      labelNames: ['operation', 'status'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
  }

  /** Records one finished RxScale call on both the counter and the histogram. */
  observeRxScaleCall(call: {
    operation: string;
    status: number | string;
    pharmacy?: string;
    durationSeconds: number;
  }): void {
    const status = String(call.status);
    this.rxscaleCalls.inc({ operation: call.operation, status, pharmacy: call.pharmacy ?? '' });
    this.rxscaleCallDuration.observe({ operation: call.operation, status }, call.durationSeconds);
  }

  /** The body of GET /metrics, with its Content-Type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
