import { decodeRxScaleEvent } from '@rxbridge/contracts';
import { type PharmacyOrder } from '@rxbridge/rxscale-contract';

/** RxScale's order webhooks as stored on `rxscale.pharmacy-orders.v1`: both carry the full order (API.md §11.6). */
export const ORDER_WEBHOOK_TYPES: readonly string[] = [
  'rxscale.pharmacy_order_created',
  'rxscale.pharmacy_order_updated',
];

/** The order a stored order webhook carries, or why its body cannot be read. */
export function orderOfWebhook(
  event: Parameters<typeof decodeRxScaleEvent>[0],
): { ok: true; order: PharmacyOrder } | { ok: false; error: string } {
  const decoded = decodeRxScaleEvent(event);
  if (!decoded.ok) return { ok: false, error: decoded.error };
  return { ok: true, order: decoded.envelope.data as unknown as PharmacyOrder };
}
