import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ServiceMetricsOptions {
  /** Set as the `service` label on every series. */
  service: string;
  /** Process metrics (CPU, memory, event loop lag, GC); on by default. */
  defaultMetrics?: boolean;
  /** Longest a scrape waits for one collector (addCollector). Default 2000 ms. */
  collectorTimeoutMs?: number;
}

/** Refreshes some gauges; runs at every scrape. */
export type ScrapeCollector = () => Promise<void>;

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
 *   status = HTTP status code or `network_error` | `timeout` | `aborted`. The pharmacy label is on the counter only:
 *   histograms times pharmacies would multiply series by the bucket count.
 * - outbox_published_total{topic} / outbox_publish_failures_total{topic}: rows the relay published / could not
 * - rxscale_commands_total{kind,outcome}: outcome `done` | `refused` | `failed` | `retry`
 * - parked_records{schema}: records waiting in `parked` for a later retry
 * - metrics_collector_up{collector}: 1 when the collector run at the last scrape (lag, backlog) answered, else 0
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
  readonly outboxPublished: Counter<'topic'>;
  readonly outboxPublishFailures: Counter<'topic'>;
  readonly rxscaleCommands: Counter<'kind' | 'outcome'>;
  readonly parkedRecords: Gauge<'schema'>;
  readonly collectorUp: Gauge<'collector'>;
  private readonly collectors = new Map<string, ScrapeCollector>();
  private readonly collectorTimeoutMs: number;

  constructor(options: ServiceMetricsOptions) {
    this.collectorTimeoutMs = options.collectorTimeoutMs ?? 2_000;
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
    this.outboxPublished = new Counter({
      name: 'rxbridge_outbox_published_total',
      help: 'Outbox rows published to Kafka',
      labelNames: ['topic'],
      registers,
    });
    this.outboxPublishFailures = new Counter({
      name: 'rxbridge_outbox_publish_failures_total',
      help: 'Outbox rows Kafka refused (they are retried with backoff)',
      labelNames: ['topic'],
      registers,
    });
    this.rxscaleCommands = new Counter({
      name: 'rxbridge_rxscale_commands_total',
      help: 'RxScale commands executed by the command relay, by outcome',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.parkedRecords = new Gauge({
      name: 'rxbridge_parked_records',
      help: 'Records parked for a later retry',
      labelNames: ['schema'],
      registers,
    });
    this.collectorUp = new Gauge({
      name: 'rxbridge_metrics_collector_up',
      help: 'Whether a scrape-time collector (consumer lag, outbox backlog) answered at the last scrape',
      labelNames: ['collector'],
      registers,
    });
  }

  /**
   * Runs `collect` before every render (scrape), so gauges read from Kafka or the database are fresh when
   * looked at and cost nothing when nobody looks. A collector that fails or takes longer than the timeout
   * leaves its gauges as they were and reports `rxbridge_metrics_collector_up{collector} 0`; the scrape
   * still answers. The same name replaces the earlier collector. Returns a function removing it.
   */
  addCollector(name: string, collect: ScrapeCollector): () => void {
    this.collectors.set(name, collect);
    return () => {
      if (this.collectors.get(name) === collect) {
        this.collectors.delete(name);
        this.collectorUp.remove({ collector: name });
      }
    };
  }

  private async runCollectors(): Promise<void> {
    await Promise.all(
      [...this.collectors].map(async ([name, collect]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            collect(),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error('collector timed out')), this.collectorTimeoutMs);
            }),
          ]);
          this.collectorUp.set({ collector: name }, 1);
        } catch {
          this.collectorUp.set({ collector: name }, 0);
        } finally {
          clearTimeout(timer);
        }
      }),
    );
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

  /** The body of GET /metrics, with its Content-Type; scrape-time collectors run first. */
  async render(): Promise<{ contentType: string; body: string }> {
    await this.runCollectors();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
