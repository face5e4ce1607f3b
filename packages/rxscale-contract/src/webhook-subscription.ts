import { z } from 'zod';
import { Uid } from './common.js';

/** The three event types the External Pharmacy API delivers (API.md §11.1). */
export const WEBHOOK_EVENT_TYPES = [
  'pharmacy_order_created',
  'pharmacy_order_updated',
  'pharmacy_sku_stock_updated',
] as const;

export const WebhookEventType = z.enum(WEBHOOK_EVENT_TYPES, {
  error: (issue) =>
    `unknown webhook event type ${JSON.stringify(issue.input)}; expected one of: ${WEBHOOK_EVENT_TYPES.join(', ')}`,
});
export type WebhookEventType = z.infer<typeof WebhookEventType>;

/** One entry of `GET /webhooks/` (API.md §7.10). The secret is never listed. */
export const WebhookSubscription = z.looseObject({
  uid: Uid,
  target: z.string().min(1),
  notification_type: WebhookEventType,
});
export type WebhookSubscription = z.infer<typeof WebhookSubscription>;

/** `GET /webhooks/` answers a bare array, not the pagination envelope. */
export const WebhookSubscriptionList = z.array(WebhookSubscription);
export type WebhookSubscriptionList = z.infer<typeof WebhookSubscriptionList>;

/** `POST /webhooks/`: one subscription per event type (API.md §7.11). */
export const WebhookRegisterRequest = z.object({
  target: z.url({ protocol: /^https?$/, error: 'target must be an http(s) URL' }).max(2048),
  notification_type: WebhookEventType,
});
export type WebhookRegisterRequest = z.infer<typeof WebhookRegisterRequest>;

/** The only response that ever shows `signing_secret` (`whsec_…`); store it at once. */
export const WebhookRegisterResponse = WebhookSubscription.extend({
  signing_secret: z.string().min(1, 'signing_secret must be a non-empty string'),
});
export type WebhookRegisterResponse = z.infer<typeof WebhookRegisterResponse>;
