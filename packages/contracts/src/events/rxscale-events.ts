import { webhookDedupKey } from '@rxbridge/rxscale-contract';
import { z } from 'zod';
import { CloudEventSchema } from '../cloud-event.js';
import { Timestamp, Uid } from './event-parts.js';

/**
 * RxScale's webhooks as the gateway stored them on `rxscale.*` topics. The body travels as `data_base64`, the
 * exact bytes RxScale signed: re-serialising JSON could change them (key order, number formats, unicode
 * escapes) and the signature could no longer be checked (STYLE.md: verify on the raw bytes).
 *
 * Unlike the `pharmacy.*` topics, these records DO carry patient data (inside the body): the topics are
 * internal, with short retention, and only the services that own the data read them.
 */

/** The RxScale webhook event types RxBridge knows (API.md §11.1). */
export const RxScaleWebhookEventType = z.enum([
  'pharmacy_order_created',
  'pharmacy_order_updated',
  'pharmacy_sku_stock_updated',
]);
export type RxScaleWebhookEventType = z.infer<typeof RxScaleWebhookEventType>;

/**
 * The webhook envelope (API.md §11.2), parsed loosely: only what routing and deduplication need. The
 * consuming service parses `data` with the RxScale contract schemas of @rxbridge/rxscale-client.
 */
export const RxScaleWebhookEnvelope = z.looseObject({
  event_type: z.string().min(1).max(200),
  // Bounded by the largest date JavaScript can represent, so converting it to `time` cannot throw.
  timestamp: z.number().int().nonnegative().max(8_640_000_000_000).describe('Unix seconds'),
  payload_version: z.union([z.string(), z.number()]).optional(),
  data: z.looseObject({ uid: Uid }),
});
export type RxScaleWebhookEnvelope = z.infer<typeof RxScaleWebhookEnvelope>;

/** The deduplication key of a webhook as the RxScale contract defines it (API.md §11.5, plus the fields that tell changes within one second apart). */
export function rxscaleDeliveryKey(
  envelope: Pick<RxScaleWebhookEnvelope, 'event_type' | 'timestamp' | 'data'>,
): string {
  return webhookDedupKey(envelope);
}

/** The CloudEvent type of a webhook: `rxscale.` + RxScale's event_type. */
export function rxscaleCloudEventType(eventType: string): string {
  return `rxscale.${eventType}`;
}

/** CloudEvent attributes of every stored webhook. Extension names follow CloudEvents: lowercase a-z0-9. */
const RxScaleCloudEventBase = CloudEventSchema.omit({ data: true }).extend({
  type: z.string().regex(/^rxscale\.[A-Za-z0-9_.-]+$/),
  subject: Uid.describe('data.uid of the webhook body'),
  data_base64: z.base64().min(1).describe('the webhook body exactly as received, base64'),
  rxscaleeventtype: z.string().min(1).max(200).describe("the body's event_type"),
  rxscaledeliverykey: z
    .string()
    .min(1)
    .describe('the dedup key: event_type:timestamp:updated_at:status:stock:data.uid'),
  receivedat: Timestamp.describe('when the gateway received the webhook'),
  rxscalesignature: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional()
    .describe('X-Webhook-Signature as received (lowercase hex), so the signature can be re-checked'),
  rxscalesubscription: Uid.optional().describe('the webhook subscription whose secret matched'),
  pharmacyuid: Uid.optional().describe('the pharmacy, when the gateway could read it from the body'),
});

function rxscaleEvent<T extends RxScaleWebhookEventType>(eventType: T) {
  return RxScaleCloudEventBase.extend({
    type: z.literal(`rxscale.${eventType}`),
    rxscaleeventtype: z.literal(eventType),
  });
}

export const RxScalePharmacyOrderCreatedEvent = rxscaleEvent('pharmacy_order_created').meta({
  description: 'pharmacy_order_created as received from RxScale (API.md §11.6).',
});
export type RxScalePharmacyOrderCreatedEvent = z.infer<typeof RxScalePharmacyOrderCreatedEvent>;

export const RxScalePharmacyOrderUpdatedEvent = rxscaleEvent('pharmacy_order_updated').meta({
  description: 'pharmacy_order_updated as received from RxScale (API.md §11.6).',
});
export type RxScalePharmacyOrderUpdatedEvent = z.infer<typeof RxScalePharmacyOrderUpdatedEvent>;

export const RxScalePharmacySkuStockUpdatedEvent = rxscaleEvent('pharmacy_sku_stock_updated').meta({
  description: 'pharmacy_sku_stock_updated as received from RxScale (API.md §11.6; payload shape assumed).',
});
export type RxScalePharmacySkuStockUpdatedEvent = z.infer<typeof RxScalePharmacySkuStockUpdatedEvent>;

/** A signed webhook of a type the gateway does not know, on `rxscale.unrecognized.v1`. */
export const RxScaleUnrecognizedEvent = RxScaleCloudEventBase.meta({
  description: 'A signed RxScale webhook of a type RxBridge does not know, kept for inspection.',
});
export type RxScaleUnrecognizedEvent = z.infer<typeof RxScaleUnrecognizedEvent>;

export type RxScaleCloudEvent =
  | RxScalePharmacyOrderCreatedEvent
  | RxScalePharmacyOrderUpdatedEvent
  | RxScalePharmacySkuStockUpdatedEvent
  | RxScaleUnrecognizedEvent;

export type DecodedWebhook =
  { ok: true; envelope: RxScaleWebhookEnvelope; rawBody: Buffer } | { ok: false; error: string };

/** Parses raw webhook bytes into the loose envelope. Error messages never quote the body (patient data). */
export function parseRxScaleWebhookBody(rawBody: Buffer): DecodedWebhook {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return { ok: false, error: 'the webhook body is not valid JSON' };
  }
  const parsed = RxScaleWebhookEnvelope.safeParse(json);
  if (!parsed.success)
    return { ok: false, error: `the webhook envelope is invalid: ${z.prettifyError(parsed.error)}` };
  return { ok: true, envelope: parsed.data, rawBody };
}

/**
 * Decodes a stored webhook's `data_base64` into the envelope and checks it agrees with the CloudEvent
 * attributes the gateway derived from it (type, subject, dedup key).
 */
export function decodeRxScaleEvent(
  event: Pick<
    RxScaleCloudEvent,
    'data_base64' | 'type' | 'subject' | 'rxscaleeventtype' | 'rxscaledeliverykey'
  >,
): DecodedWebhook {
  const decoded = parseRxScaleWebhookBody(Buffer.from(event.data_base64, 'base64'));
  if (!decoded.ok) return decoded;
  const { envelope } = decoded;
  const mismatches: string[] = [];
  if (envelope.event_type !== event.rxscaleeventtype) mismatches.push('rxscaleeventtype');
  if (rxscaleCloudEventType(envelope.event_type) !== event.type) mismatches.push('type');
  if (envelope.data.uid !== event.subject) mismatches.push('subject');
  if (rxscaleDeliveryKey(envelope) !== event.rxscaledeliverykey) mismatches.push('rxscaledeliverykey');
  if (mismatches.length > 0) {
    return { ok: false, error: `the body does not match the event attributes: ${mismatches.join(', ')}` };
  }
  return decoded;
}
