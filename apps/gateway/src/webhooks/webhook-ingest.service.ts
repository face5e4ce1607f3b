import { Inject, Injectable } from '@nestjs/common';
import type { ErrorCode } from '@rxbridge/contracts';
import { RxScaleWebhookError, assertWebhookAge } from '@rxbridge/rxscale-client';
import { outgoingTraceHeaders, traceFromHeaders } from '@rxbridge/service-kit';
import type { ServiceLogger } from '@rxbridge/service-kit';
import type { GatewayConfig } from '../config/gateway-config.js';
import { buildWebhookEvent, configuredTopic, kafkaRecord } from '../events/rxscale-cloud-event.js';
import { GATEWAY_CONFIG, GATEWAY_LOGGER, WEBHOOK_PRODUCER } from '../gateway.tokens.js';
import type { WebhookProducer } from '../kafka/kafka-ingest.producer.js';
import { GatewayMetrics, type WebhookOutcome } from '../metrics/gateway-metrics.js';
import { WebhookSecretBook } from './webhook-secrets.js';
import { VERIFY_WEBHOOK_SIGNATURE, type VerifyWebhookSignature } from './signature-verifier.js';

export interface IncomingWebhook {
  source: string;
  rawBody: Buffer;
  eventTypeHeader: string | undefined;
  signatureHeader: string | undefined;
  /** `traceparent` and `correlationid` as received: the record continues the caller's trace. */
  traceHeaders: { traceparent?: string; correlationid?: string };
  receivedAt: Date;
}

export interface WebhookAnswer {
  status: number;
  outcome: WebhookOutcome;
  body: { status: string; error?: string; message?: string };
  headers?: Record<string, string>;
}

/**
 * One webhook delivery, checked in the order the issue fixes: event header, signature on the raw bytes,
 * envelope, header/envelope agreement, age; then produced, and only then answered. Nothing before the
 * signature holds touches Kafka or logs the body, so a flood of forged requests costs one HMAC each.
 * (Content type and size are refused by the HTTP layer before the body reaches here; an unknown source
 * before the body is read.)
 */
@Injectable()
export class WebhookIngestService {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(GATEWAY_LOGGER) private readonly logger: ServiceLogger,
    @Inject(VERIFY_WEBHOOK_SIGNATURE) private readonly verify: VerifyWebhookSignature,
    private readonly secrets: WebhookSecretBook,
    @Inject(WEBHOOK_PRODUCER) private readonly producer: WebhookProducer,
    private readonly metrics: GatewayMetrics,
  ) {}

  knowsSource(source: string): boolean {
    return this.secrets.hasSource(source);
  }

  async ingest(w: IncomingWebhook): Promise<WebhookAnswer> {
    if (!this.secrets.hasSource(w.source)) return refuse(404, 'unknown_source', 'not_found');
    const eventType = w.eventTypeHeader?.trim();
    if (!eventType)
      return refuse(400, 'missing_event_header', 'bad_request', 'X-Webhook-Event header is required');
    const candidates = this.secrets.candidates(w.source, eventType) ?? [];

    const verifyStarted = performance.now();
    const signature = w.signatureHeader?.trim();
    const signed = this.verify(w.rawBody, signature, candidates);
    this.metrics.verified((performance.now() - verifyStarted) / 1000);
    // Says nothing about why: a forger learns no more than "no".
    if (!signed) return refuse(401, 'bad_signature', 'unauthorized');

    const built = buildWebhookEvent({
      rawBody: w.rawBody,
      source: w.source,
      signature: signature ?? '',
      receivedAt: w.receivedAt,
    });
    // Signed but not an envelope with event_type, timestamp and data.uid: RxBridge cannot key or dedup it.
    if (!built.ok) return refuse(400, 'malformed', 'bad_request', 'body is not an RxScale webhook envelope');
    const { envelope } = built;
    if (envelope.event_type !== eventType) {
      return refuse(400, 'event_type_mismatch', 'bad_request', 'event_type does not match X-Webhook-Event');
    }
    const dedupKey = built.event.rxscaledeliverykey;
    try {
      assertWebhookAge(envelope.timestamp, {
        maxAgeSeconds: this.config.webhooks.maxEventAgeSeconds,
        now: w.receivedAt.getTime(),
      });
    } catch (err) {
      if (!(err instanceof RxScaleWebhookError)) throw err;
      // Signed, so logging its identity (never its body) is safe and lets an operator find it.
      this.logger.warn(
        { source: w.source, eventType, dedupKey, reason: err.code },
        'webhook outside the accepted age refused',
      );
      return refuse(400, 'outside_age_window', 'bad_request', 'event timestamp is outside the accepted age');
    }

    const { topic, known } = configuredTopic(built, this.config.topics);
    const record = kafkaRecord(built, w.source, outgoingTraceHeaders(traceFromHeaders(w.traceHeaders)));
    const budgetMs = Math.max(1, this.config.produce.budgetMs - (Date.now() - w.receivedAt.getTime()));
    const produceStarted = performance.now();
    try {
      await this.producer.produce(topic, record, budgetMs);
    } catch (err) {
      this.logger.warn(
        { source: w.source, eventType, dedupKey, err: err instanceof Error ? err.name : 'unknown' },
        'webhook not stored in Kafka; answered 503 so RxScale delivers it again',
      );
      return {
        status: 503,
        outcome: 'not_stored',
        body: {
          status: 'error',
          error: 'unavailable' satisfies ErrorCode,
          message: 'not stored; deliver again',
        },
        headers: { 'retry-after': String(this.config.produce.retryAfterSeconds) },
      };
    }
    this.metrics.produced((performance.now() - produceStarted) / 1000);
    return known
      ? { status: 200, outcome: 'stored', body: { status: 'stored' } }
      : { status: 202, outcome: 'stored_unrecognized', body: { status: 'stored_unrecognized' } };
  }
}

function refuse(status: number, outcome: WebhookOutcome, error: ErrorCode, message?: string): WebhookAnswer {
  return { status, outcome, body: { status: 'error', error, ...(message ? { message } : {}) } };
}
