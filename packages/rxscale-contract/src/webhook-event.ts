import { z } from 'zod';
import { UnixTimestamp } from './common.js';
import { PharmacyOrder } from './pharmacy-order.js';
import { PharmacySku } from './pharmacy-sku.js';
import { WebhookEventType } from './webhook-subscription.js';

/**
 * Header names of a delivery (API.md §11.2), lowercase as Node hands them over (HTTP header names are
 * case-insensitive; the docs spell them `X-Webhook-Event` and `X-Webhook-Signature`).
 */
export const WebhookHeaders = {
  event: 'x-webhook-event',
  signature: 'x-webhook-signature',
  contentType: 'content-type',
} as const;

/** The envelope of every delivery (API.md §11.3), before its `data` is parsed by event type. */
export const WebhookEnvelope = z.looseObject({
  event_type: z.string().min(1),
  timestamp: UnixTimestamp,
  payload_version: z.string().min(1),
  data: z.unknown(),
});
export type WebhookEnvelope = z.infer<typeof WebhookEnvelope>;

const envelopeOf = <E extends WebhookEventType, D extends z.ZodType>(eventType: E, data: D) =>
  z.looseObject({
    event_type: z.literal(eventType),
    timestamp: UnixTimestamp,
    payload_version: z.string().min(1),
    data,
  });

export const PharmacyOrderCreatedEvent = envelopeOf('pharmacy_order_created', PharmacyOrder);
export type PharmacyOrderCreatedEvent = z.infer<typeof PharmacyOrderCreatedEvent>;

/** Same `data` as the created event (DESIGN.md §11). */
export const PharmacyOrderUpdatedEvent = envelopeOf('pharmacy_order_updated', PharmacyOrder);
export type PharmacyOrderUpdatedEvent = z.infer<typeof PharmacyOrderUpdatedEvent>;

/** `data` is a pharmacy SKU as listed by `GET /pharmacy_skus/` (DESIGN.md §11; shape assumed, API.md §11.6). */
export const PharmacySkuStockUpdatedEvent = envelopeOf('pharmacy_sku_stock_updated', PharmacySku);
export type PharmacySkuStockUpdatedEvent = z.infer<typeof PharmacySkuStockUpdatedEvent>;

/** Any of the three events, discriminated by `event_type`; an unknown type fails parsing. */
export const WebhookEvent = z.discriminatedUnion(
  'event_type',
  [PharmacyOrderCreatedEvent, PharmacyOrderUpdatedEvent, PharmacySkuStockUpdatedEvent],
  {
    error: (issue) =>
      issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator'
        ? `unknown webhook event_type; expected one of: ${WebhookEventType.options.join(', ')}`
        : undefined,
  },
);
export type WebhookEvent = z.infer<typeof WebhookEvent>;

/**
 * The deduplication key of a webhook. RxScale documents `event_type` + `timestamp` + `data.uid` (API.md
 * §11.5), but `timestamp` has one-second resolution: two real changes of one order within a second (our
 * `pending review` echo and a cancellation, say) would share that key and the inbox would drop the second.
 * So the key also carries what tells such changes apart when the body has it: `data.updated_at`,
 * `data.status` and `data.stock` (§11.5 suggests the first two). A true redelivery repeats the body, so it
 * still repeats the key. Form: `event_type:timestamp:updated_at:status:stock:uid`, absent parts empty; the
 * uid comes last and nothing before it holds a `:` (an enum status, integers), so the key is unambiguous.
 * Defined once here: the gateway stores it with every record and consumers' inboxes compare it, so every
 * part of RxBridge computes it the same way.
 */
export function webhookDedupKey(envelope: {
  event_type: string;
  timestamp: number;
  data: { uid: string; updated_at?: unknown; status?: unknown; stock?: unknown };
}): string {
  const { data } = envelope;
  const part = (v: unknown) =>
    typeof v === 'number' || typeof v === 'string' ? String(v).replaceAll(':', '') : '';
  return `${envelope.event_type}:${envelope.timestamp}:${part(data.updated_at)}:${part(data.status)}:${part(data.stock)}:${data.uid}`;
}
