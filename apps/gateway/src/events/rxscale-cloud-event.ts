import { createHash } from 'node:crypto';
import { EventHeaders, Topics, buildRxScaleEvent, type BuildRxScaleEventResult } from '@rxbridge/contracts';
import type { GatewayConfig } from '../config/gateway-config.js';

/** Kafka header names the gateway sets besides EventHeaders, so consumers can route and dedup without parsing the value. */
export const RxScaleHeaders = {
  eventType: 'rxscale-event-type',
  dedupKey: 'rxscale-dedup-key',
  source: 'rxscale-source',
  receivedAt: 'rxscale-received-at',
} as const;

export interface VerifiedWebhook {
  rawBody: Buffer;
  /** The gateway's source name (one per RxScale API key), from the path. */
  source: string;
  signature: string;
  receivedAt: Date;
}

/**
 * The CloudEvent for a verified webhook, built by the contracts (issue 4): `data_base64` is the exact
 * body RxScale signed. The id is the hash of those bytes, so a redelivery of one event keeps its id while
 * two distinct events never share one (the dedup key can collide within a second, API.md §11.5).
 */
export function buildWebhookEvent(w: VerifiedWebhook): BuildRxScaleEventResult {
  return buildRxScaleEvent({
    rawBody: w.rawBody,
    receivedAt: w.receivedAt,
    source: `/webhooks/rxscale/${w.source}`,
    signature: w.signature,
    id: createHash('sha256').update(w.rawBody).digest('hex'),
  });
}

export type BuiltWebhookEvent = Extract<BuildRxScaleEventResult, { ok: true }>;

/** The configured topic for the catalog topic the contracts chose (tests and benchmarks rename topics). */
export function configuredTopic(built: BuiltWebhookEvent, topics: GatewayConfig['topics']): { topic: string; known: boolean } {
  if (built.topic === Topics.rxscalePharmacyOrders.name) return { topic: topics.pharmacyOrders, known: true };
  if (built.topic === Topics.rxscalePharmacySkus.name) return { topic: topics.pharmacySkus, known: true };
  return { topic: topics.unrecognized, known: false };
}

export function kafkaRecord(
  built: BuiltWebhookEvent,
  source: string,
  trace: { traceparent: string; correlationid: string },
): { key: string; value: Buffer; headers: Record<string, string> } {
  const e = built.event;
  return {
    key: built.key,
    // Encoded once here: kafkajs would otherwise measure a string value's UTF-8 length twice and encode it
    // again for every record (~4.5 KiB with the body in base64), and so would the batcher's size check.
    value: Buffer.from(JSON.stringify(e)),
    headers: {
      [EventHeaders.contentType]: 'application/cloudevents+json',
      [EventHeaders.eventType]: e.type,
      [EventHeaders.traceparent]: trace.traceparent,
      [EventHeaders.correlationId]: trace.correlationid,
      [RxScaleHeaders.eventType]: e.rxscaleeventtype,
      [RxScaleHeaders.dedupKey]: e.rxscaledeliverykey,
      [RxScaleHeaders.source]: source,
      [RxScaleHeaders.receivedAt]: e.receivedat,
    },
  };
}
