import { Inject, Injectable } from '@nestjs/common';
import { ServiceMetrics } from '@rxbridge/service-kit';
import { Counter, Histogram } from 'prom-client';
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
 * The gateway's Prometheus metrics, on the service's registry (service-kit's ServiceMetrics, served at
 * /metrics; one per app, so tests can run several apps in one process). Labels carry only outcomes,
 * never a header value.
 */
@Injectable()
export class GatewayMetrics implements BatchObserver {
  private readonly requests: Counter<'outcome'>;
  private readonly verify: Histogram;
  private readonly produce: Histogram;
  private readonly batchSize: Histogram;
  private readonly batchFailures: Counter;

  constructor(@Inject(ServiceMetrics) service: ServiceMetrics) {
    const registers = [service.registry];
    this.requests = new Counter({
      name: 'rxbridge_gateway_webhook_requests_total',
      help: 'Webhook requests by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.verify = new Histogram({
      name: 'rxbridge_gateway_signature_verify_seconds',
      help: 'Time to verify one webhook signature against its candidate secrets',
      buckets: [0.00001, 0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01],
      registers,
    });
    this.produce = new Histogram({
      name: 'rxbridge_gateway_produce_seconds',
      help: 'Time from handing a record to the batcher until Kafka acknowledged it (acks=all)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3],
      registers,
    });
    this.batchSize = new Histogram({
      name: 'rxbridge_gateway_produce_batch_size',
      help: 'Records per produce call',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers,
    });
    this.batchFailures = new Counter({
      name: 'rxbridge_gateway_produce_batch_failures_total',
      help: 'Produce calls that failed',
      registers,
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
