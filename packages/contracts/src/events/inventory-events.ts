import { z } from 'zod';
import {
  hasSkuIdentity,
  Quantity,
  Reason,
  SKU_IDENTITY_MESSAGE,
  SkuIdentity,
  StockCount,
  StockLine,
  Timestamp,
  Uid,
} from './event-parts.js';

/**
 * Payloads of `pharmacy.inventory.v1`: level changes keyed by stock item, reservations keyed by the pharmacy
 * order uid (so one order's reserve/release/deduct stay in order).
 */

export const StockLevelChanged = z
  .object({
    pharmacy_uid: Uid,
    ...SkuIdentity,
    on_hand: StockCount,
    reserved: StockCount,
    available: StockCount.describe('on_hand - reserved, floored at 0: what RxScale is told'),
    cause: z
      .enum(['pms', 'reservation', 'rxscale', 'reconciliation'])
      .describe(
        'what changed it: a PMS stock report, a reservation/release/deduction, an RxScale webhook, drift repair',
      ),
    changed_at: Timestamp,
  })
  .refine(hasSkuIdentity, { message: SKU_IDENTITY_MESSAGE })
  .refine((v) => v.available === Math.max(0, v.on_hand - v.reserved), {
    message: 'available must equal max(0, on_hand - reserved)',
    path: ['available'],
  })
  .meta({ description: "A stock item's level changed at a pharmacy." });
export type StockLevelChanged = z.infer<typeof StockLevelChanged>;

export const StockReserved = z
  .object({
    pharmacy_uid: Uid,
    pharmacy_order_uid: Uid,
    lines: z.array(StockLine).min(1),
    reserved_at: Timestamp,
  })
  .meta({ description: 'Stock for every line of the order is reserved.' });
export type StockReserved = z.infer<typeof StockReserved>;

export const MissingItem = z
  .object({
    ...SkuIdentity,
    requested: Quantity,
    available: StockCount,
  })
  .refine(hasSkuIdentity, { message: SKU_IDENTITY_MESSAGE })
  .refine((v) => v.available < v.requested, {
    message: 'a missing item has less available than requested',
    path: ['available'],
  });
export type MissingItem = z.infer<typeof MissingItem>;

export const StockReservationFailed = z
  .object({
    pharmacy_uid: Uid,
    pharmacy_order_uid: Uid,
    missing: z.array(MissingItem).min(1),
    failed_at: Timestamp,
  })
  .meta({
    description: 'Not every line could be reserved; nothing is held for the order. Lists what is missing.',
  });
export type StockReservationFailed = z.infer<typeof StockReservationFailed>;

export const StockReleased = z
  .object({
    pharmacy_uid: Uid,
    pharmacy_order_uid: Uid,
    lines: z.array(StockLine).min(1),
    reason: Reason.describe('why, e.g. "order cancelled"'),
    released_at: Timestamp,
  })
  .meta({ description: "The order's reservation was released; the stock is available again." });
export type StockReleased = z.infer<typeof StockReleased>;

export const StockDeducted = z
  .object({
    pharmacy_uid: Uid,
    pharmacy_order_uid: Uid,
    lines: z.array(StockLine).min(1),
    deducted_at: Timestamp,
  })
  .meta({ description: "The completed order's reservation became a deduction from stock on hand." });
export type StockDeducted = z.infer<typeof StockDeducted>;
