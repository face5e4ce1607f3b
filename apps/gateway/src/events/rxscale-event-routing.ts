import type { GatewayConfig } from '../config/gateway-config.js';

/** The RxScale event types the gateway routes to their own topic (DESIGN.md §3); anything else signed is unrecognized. */
export const KnownRxScaleEventTypes = ['pharmacy_order_created', 'pharmacy_order_updated', 'pharmacy_sku_stock_updated'] as const;
export type KnownRxScaleEventType = (typeof KnownRxScaleEventTypes)[number];

export function isKnownEventType(t: string): t is KnownRxScaleEventType {
  return (KnownRxScaleEventTypes as readonly string[]).includes(t);
}

export function topicFor(eventType: string, topics: GatewayConfig['topics']): { topic: string; known: boolean } {
  if (!isKnownEventType(eventType)) return { topic: topics.unrecognized, known: false };
  switch (eventType) {
    case 'pharmacy_order_created':
    case 'pharmacy_order_updated':
      return { topic: topics.pharmacyOrders, known: true };
    case 'pharmacy_sku_stock_updated':
      return { topic: topics.pharmacySkus, known: true };
  }
}
