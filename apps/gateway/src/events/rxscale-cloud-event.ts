import { createHash } from 'node:crypto';
import {
  CLOUDEVENTS_JSON_CONTENT_TYPE,
  EventHeaders,
  RxScaleEventHeaders,
  Topics,
  buildRxScaleEvent,
  type BuildRxScaleEventResult,
} from '@rxbridge/contracts';
import type { GatewayConfig } from '../config/gateway-config.js';

/** The gateway's record headers are part of the contract (consumers dedup by them). */
export { RxScaleEventHeaders as RxScaleHeaders };

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
export function configuredTopic(
  built: BuiltWebhookEvent,
  topics: GatewayConfig['topics'],
): { topic: string; known: boolean } {
  if (built.topic === Topics.rxscalePharmacyOrders.name) return { topic: topics.pharmacyOrders, known: true };
  if (built.topic === Topics.rxscalePharmacySkus.name) return { topic: topics.pharmacySkus, known: true };
  return { topic: topics.unrecognized, known: false };
}

export function kafkaRecord(
  built: BuiltWebhookEvent,
  source: string,
  trace: { traceparent: string; correlationid: string },
): { key: string; value: string; headers: Record<string, string> } {
  const e = built.event;
  return {
    key: built.key,
    value: cloudEventJson(e),
    headers: {
      [EventHeaders.contentType]: CLOUDEVENTS_JSON_CONTENT_TYPE,
      [EventHeaders.eventType]: e.type,
      [EventHeaders.traceparent]: trace.traceparent,
      [EventHeaders.correlationId]: trace.correlationid,
      [RxScaleEventHeaders.eventType]: e.rxscaleeventtype,
      [RxScaleEventHeaders.dedupKey]: e.rxscaledeliverykey,
      [RxScaleEventHeaders.source]: source,
      [RxScaleEventHeaders.receivedAt]: e.receivedat,
    },
  };
}

const BASE64_SLOT = '"data_base64":""';

/**
 * `JSON.stringify(event)`, without JSON.stringify scanning the ~4 KiB `data_base64` for characters to escape
 * (measured: 8.5 µs per record, 2.9 µs this way). Safe because `data_base64` is `rawBody.toString('base64')`
 * (the contracts build it), and base64 has no character JSON escapes; the slot cannot occur inside another
 * value, where a quote is always escaped. A string, not a Buffer: kafkajs writes a one-byte string straight
 * into its batch, while a Buffer costs an extra allocation and copy (~3 µs more per record).
 */
export function cloudEventJson(event: BuiltWebhookEvent['event']): string {
  const json = JSON.stringify({ ...event, data_base64: '' });
  const at = json.indexOf(BASE64_SLOT) + BASE64_SLOT.length - 1;
  return json.slice(0, at) + event.data_base64 + json.slice(at);
}
