import { z } from 'zod';
import { Cents, optionalNullable, Uid, UnixTimestamp } from './common.js';
import { PageQuery, Paginated } from './pagination.js';

export const CatalogueSku = z.looseObject({
  uid: Uid,
  display_name: optionalNullable(z.string()),
  pzn: optionalNullable(z.string()),
  product_uid: optionalNullable(z.string()),
  product_display_name: optionalNullable(z.string()),
  standard_selling_unit: optionalNullable(z.number()),
  unit: optionalNullable(z.string()),
  product_handle: optionalNullable(z.string()),
  digital: optionalNullable(z.boolean()),
});
export type CatalogueSku = z.infer<typeof CatalogueSku>;

/**
 * A pharmacy SKU (API.md §8.2): uid, price and stock are what RxBridge syncs, so they are strict.
 * `pharmacy` is a plain pharmacy uid here, unlike the object in orders.
 */
export const PharmacySku = z.looseObject({
  uid: Uid,
  external_id: optionalNullable(z.string()),
  price: Cents,
  stock: z.int('stock must be an integer'),
  pharmacy: Uid,
  sku: CatalogueSku,
  created_at: optionalNullable(UnixTimestamp),
  updated_at: optionalNullable(UnixTimestamp),
  deleted_at: optionalNullable(UnixTimestamp),
});
export type PharmacySku = z.infer<typeof PharmacySku>;

export const PharmacySkuPage = Paginated(PharmacySku);
export type PharmacySkuPage = z.infer<typeof PharmacySkuPage>;

export const ListPharmacySkusQuery = PageQuery.extend({
  pharmacy_uid: z.string().min(1).optional(),
});
export type ListPharmacySkusQuery = z.infer<typeof ListPharmacySkusQuery>;

const StockLevel = z
  .int('stock must be an integer')
  .nonnegative('stock must be 0 or more')
  .max(1_000_000, 'stock must be at most 1000000');
const ExternalId = z
  .string('external_id must be a string')
  .min(1, 'external_id must not be empty')
  .max(255, 'external_id must be at most 255 characters');

/** `PATCH /pharmacy_skus/{uid}`: send only what changes (API.md §7.7); an empty body changes nothing. */
export const PharmacySkuUpdateRequest = z
  .object({
    price: Cents.optional(),
    stock: StockLevel.optional(),
    external_id: ExternalId.optional(),
  })
  .refine((v) => v.price !== undefined || v.stock !== undefined || v.external_id !== undefined, {
    message: 'at least one of price, stock, external_id is required',
  });
export type PharmacySkuUpdateRequest = z.infer<typeof PharmacySkuUpdateRequest>;

/** `PATCH …/stock` with an absolute level (DESIGN.md §11; the body is assumed, API.md §7.8). */
export const StockUpdateRequest = z.object({ stock: StockLevel });
export type StockUpdateRequest = z.infer<typeof StockUpdateRequest>;

/** `PATCH …/external_id` (assumed body, API.md §7.9). */
export const ExternalIdUpdateRequest = z.object({ external_id: ExternalId });
export type ExternalIdUpdateRequest = z.infer<typeof ExternalIdUpdateRequest>;
