import { z } from 'zod';

/** The RxScale commands inventory-service queues (rows of the plumbing's rxscale_command table). */
export const InventoryCommandKinds = {
  /** PATCH /pharmacy_skus/{uid}/stock with the newest available value (DESIGN.md §11). */
  skuStock: 'sku.stock',
  /** PATCH /pharmacy_skus/{uid}/external_id with the mapped PMS article id. */
  skuExternalId: 'sku.external-id',
} as const;

/**
 * Relay priorities (higher runs first). Stock pushes sit below order status changes and shipments
 * (DESIGN.md §5); the numbers must agree with the other services' commands, which share the relay's
 * ordering only within one schema, while the fleet-wide order is the rate budget's priority.
 */
export const InventoryCommandPriorities = {
  [InventoryCommandKinds.skuStock]: 20,
  [InventoryCommandKinds.skuExternalId]: 10,
} as const;

/**
 * `stock` is the value wanted when the command was queued or last coalesced, for operators reading the
 * table; the executor always re-reads the newest value before calling RxScale.
 */
export const SkuStockPayload = z.object({
  pharmacySkuUid: z.string().min(1),
  stock: z.number().int().min(0),
});
export type SkuStockPayload = z.infer<typeof SkuStockPayload>;

export const SkuExternalIdPayload = z.object({
  pharmacySkuUid: z.string().min(1),
  externalId: z.string().min(1).max(200),
});
export type SkuExternalIdPayload = z.infer<typeof SkuExternalIdPayload>;
