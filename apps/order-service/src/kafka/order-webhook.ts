import { decodeRxScaleEvent } from '@rxbridge/contracts';
import { PharmacyOrder } from '@rxbridge/rxscale-contract';

/** RxScale's order webhooks as stored on `rxscale.pharmacy-orders.v1`: both carry the full order (API.md §11.6). */
export const ORDER_WEBHOOK_TYPES: readonly string[] = [
  'rxscale.pharmacy_order_created',
  'rxscale.pharmacy_order_updated',
];

/**
 * The order a stored order webhook carries, parsed with the contract's `PharmacyOrder` (strict on what
 * RxBridge acts on, lenient on the fields RxScale documents as optional or unknown), or why it cannot be
 * read. The reason names paths and zod's issue codes, never a value: the order holds patient data.
 */
export function orderOfWebhook(
  event: Parameters<typeof decodeRxScaleEvent>[0],
): { ok: true; order: PharmacyOrder } | { ok: false; error: string } {
  const decoded = decodeRxScaleEvent(event);
  if (!decoded.ok) return { ok: false, error: decoded.error };
  const parsed = PharmacyOrder.safeParse(decoded.envelope.data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} (${i.code})`);
    return {
      ok: false,
      error: `the webhook's order breaks the contract at: ${[...new Set(issues)].join(', ')}`,
    };
  }
  return { ok: true, order: parsed.data };
}
