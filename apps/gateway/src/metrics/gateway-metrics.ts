import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BatchObserver } from '../kafka/batching-producer.js';

/** Every way a webhook request can end; one counter label value each. */
export type WebhookOutcome =
  | 'stored'
  | 'stored_unrecognized'
  | 'unsupported_media_type'
  | 'too_large'
  | 'unknown_source'
  | 'missing_event_header'
  | 'bad_signature'
  | 'malformed'
  | 'event_type_mismatch'
  | 'outside_age_window'
  | 'not_stored';

/**
 * The gateway's Prometheus metrics on a registry of its own (tests build several apps in one process).
 * Labels carry only bounded values: configured source names and outcomes, never a header value.
 */
export class GatewayMetrics implements BatchObserver {
  readonly registry = new Registry();
  private readonly requests: Counter<'outcome'>;
  private readonly verify: Histogram;
  private readonly produce: Histogram;
  private readonly batchSize: Histogram;
  private readonly batchFailures: Counter;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'gateway_' });
    this.requests = new Counter({
      name: 'gateway_webhook_requests_total',
      help: 'Webhook requests by outcome',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    this.verify = new Histogram({
      name: 'gateway_signature_verify_seconds',
      help: 'Time to verify one webhook signature against its candidate secrets',
      buckets: [0.00001, 0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01],
      registers: [this.registry],
    });
    this.produce = new Histogram({
      name: 'gateway_produce_seconds',
      help: 'Time from handing a record to the batcher until Kafka acknowledged it (acks=all)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3],
      registers: [this.registry],
    });
    this.batchSize = new Histogram({
      name: 'gateway_produce_batch_size',
      help: 'Records per produce call',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers: [this.registry],
    });
    this.batchFailures = new Counter({
      name: 'gateway_produce_batch_failures_total',
      help: 'Produce calls that failed',
      registers: [this.registry],
    });
  }

  outcome(o: WebhookOutcome): void {
    this.requests.inc({ outcome: o });
  }

  verified(seconds: number): void {
    this.verify.observe(seconds);
  }

  produced(seconds: number): void {
    this.produce.observe(seconds);
  }

  batchSent(size: number): void {
    this.batchSize.observe(size);
  }

  batchFailed(size: number): void {
    this.batchSize.observe(size);
    this.batchFailures.inc();
  }
}
