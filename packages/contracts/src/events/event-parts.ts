import { PharmacyOrderStatus } from '@rxbridge/rxscale-contract';
import { z } from 'zod';

/**
 * Building blocks shared by RxBridge's own event payloads. Field names are snake_case like RxScale's, so a
 * value keeps one name from the webhook to the chain's other systems.
 *
 * Privacy rule (DESIGN.md §7): no event on a `pharmacy.*` topic carries patient data: no names, addresses,
 * e-mail, date of birth, patient or doctor identifiers, nor the prescription. Events name orders, SKUs and
 * pharmacies by uid only. `test/privacy.spec.ts` walks every schema for keys that look like patient data.
 */

/** An opaque RxScale or RxBridge identifier (API.md §4: never parse them). */
export const Uid = z.string().min(1).max(200);

export const Timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 date-time with offset');

export const Quantity = z.number().int().positive().max(1_000_000);

export const StockCount = z.number().int().nonnegative().max(100_000_000);

/** Pharmazentralnummer as RxScale sends it (a string of digits, leading zeros kept). Not validated further. */
export const Pzn = z.string().min(1).max(20).describe('Pharmazentralnummer, as sent by RxScale');

/** The pharmacy-order statuses of API.md §9, exact strings: RxScale's own enum, defined once in its contract. */
export { PharmacyOrderStatus };

/** Who caused a change: RxScale (via a webhook), RxBridge's own automation, or a person at the pharmacy. */
export const Initiator = z.enum(['rxscale', 'rxbridge', 'pharmacy']);
export type Initiator = z.infer<typeof Initiator>;

/**
 * Free text written by pharmacy staff or RxScale (a reason, a comment). It must not contain patient data;
 * producers pass reasons that name items and states, never people.
 */
export const Reason = z.string().min(1).max(2000);

/**
 * Identifies a stock item. The PMS knows its article (`external_id`), RxScale its pharmacy SKU; either may
 * be unknown until inventory-service has mapped them (DESIGN.md §1), so at least one of the three is set.
 */
export const SkuIdentity = {
  pharmacy_sku_uid: Uid.nullable().describe("RxScale's pharmacy SKU uid; null while the article is unmapped"),
  external_id: z
    .string()
    .min(1)
    .max(200)
    .nullable()
    .optional()
    .describe("the PMS article id (RxScale's external_id)"),
  pzn: Pzn.nullable(),
};

export function hasSkuIdentity(v: {
  pharmacy_sku_uid: string | null;
  external_id?: string | null;
  pzn: string | null;
}): boolean {
  return v.pharmacy_sku_uid !== null || (v.external_id ?? null) !== null || v.pzn !== null;
}

export const SKU_IDENTITY_MESSAGE = 'a stock item needs at least one of pharmacy_sku_uid, external_id, pzn';

export const StockLine = z
  .object({ ...SkuIdentity, quantity: Quantity })
  .refine(hasSkuIdentity, { message: SKU_IDENTITY_MESSAGE });
export type StockLine = z.infer<typeof StockLine>;

/** A stable key for a stock item: the pharmacy SKU uid when mapped, else the pharmacy and the PMS article. */
export function skuKey(
  pharmacyUid: string,
  v: { pharmacy_sku_uid: string | null; external_id?: string | null; pzn: string | null },
): string {
  if (v.pharmacy_sku_uid) return v.pharmacy_sku_uid;
  if (v.external_id) return `${pharmacyUid}/article:${v.external_id}`;
  return `${pharmacyUid}/pzn:${v.pzn ?? ''}`;
}
