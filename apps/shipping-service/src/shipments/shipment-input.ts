import { isPatientDataKey, Timestamp, Uid } from '@rxbridge/contracts';
import { z } from 'zod';
import { SHIPMENT_STATES } from './shipment-lifecycle.js';

/**
 * What the shipping desk sends, parsed at the edge before a use case sees it. Every message is a fixed
 * text naming the field and the rule: a submitted value is never echoed (it could be patient data).
 */

/** Query keys a carrier link has no business carrying: they would put the patient's address into a URL. */
const ADDRESS_QUERY_KEYS = new Set([
  'name',
  'recipient',
  'zip',
  'plz',
  'postcode',
  'postleitzahl',
  'strasse',
  'straße',
  'ort',
  'country',
]);

function hasPatientDataInUrl(url: URL): boolean {
  if (url.username || url.password) return true;
  // an e-mail address anywhere in the link
  if (decodeURIComponent(`${url.pathname}${url.search}${url.hash}`).includes('@')) return true;
  for (const key of url.searchParams.keys()) {
    const k = key.toLowerCase();
    if (ADDRESS_QUERY_KEYS.has(k) || isPatientDataKey(k)) return true;
  }
  return false;
}

export const TrackingUrl = z
  .string({ message: 'tracking_url must be a string' })
  .trim()
  .max(2000, 'tracking_url must be at most 2000 characters')
  .pipe(
    z.url({ protocol: /^https$/, hostname: z.regexes.domain, message: 'tracking_url must be an https URL' }),
  )
  // zod runs this check even after the URL check failed: an unparsable value was refused already
  .refine((v) => !URL.canParse(v) || !hasPatientDataInUrl(new URL(v)), {
    message: 'tracking_url must not carry patient data (no credentials, e-mail, name or address parameters)',
  });

/**
 * Carriers' numbers are 8-35 letters and digits (DHL, DPD, GLS, Hermes, UPS "1Z…"); allow 6-50 with inner
 * dashes, and ask for a digit, so a name typed into the wrong field is refused. Upper-cased, so a repeated
 * record compares equal whatever the case it was typed in.
 */
export const TrackingNumber = z
  .string({ message: 'tracking_number must be a string' })
  .trim()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9-]{4,48}[A-Za-z0-9]$/,
    'tracking_number must be 6-50 letters, digits or inner dashes',
  )
  .regex(/\d/, 'tracking_number must contain a digit')
  .transform((v) => v.toUpperCase());

/** The carrier, one of the configured list (SHIPPING_CARRIERS), case-insensitively; output in the list's spelling. */
export function carrierSchema(carriers: readonly string[]) {
  const byLowerCase = new Map(carriers.map((c) => [c.toLowerCase(), c]));
  return z
    .string({ message: 'carrier must be a string' })
    .trim()
    .transform((v, ctx) => {
      const carrier = byLowerCase.get(v.toLowerCase());
      if (carrier === undefined) {
        ctx.addIssue({ code: 'custom', message: `carrier must be one of: ${carriers.join(', ')}` });
        return z.NEVER;
      }
      return carrier;
    });
}

/** Record a shipment: the parcel left with a carrier. */
export function recordShipmentInputSchema(carriers: readonly string[]) {
  return z.strictObject({
    pharmacy_order_uid: Uid,
    carrier: carrierSchema(carriers),
    tracking_number: TrackingNumber,
    // Optional: RxScale's complete_order takes it as optional too (docs/design.md, assumed bodies).
    tracking_url: TrackingUrl.nullable()
      .optional()
      .transform((v) => v ?? null),
  });
}
export type RecordShipmentInput = z.output<ReturnType<typeof recordShipmentInputSchema>>;

/** Record that the patient collected a pickup order in person. */
export const RecordHandOverInput = z.strictObject({ pharmacy_order_uid: Uid });
export type RecordHandOverInput = z.output<typeof RecordHandOverInput>;

/** Mark a dispatched shipment delivered; `delivered_at` is the carrier's time when known, else now. */
export const MarkDeliveredInput = z.strictObject({
  pharmacy_order_uid: Uid,
  delivered_at: Timestamp.optional(),
});
export type MarkDeliveredInput = z.output<typeof MarkDeliveredInput>;

const ShipmentStateName = z.enum(SHIPMENT_STATES, {
  message: `state must be one of: ${SHIPMENT_STATES.join(', ')}`,
});

/** The list cursor: opaque to the desk (base64url JSON of the last row's sort key). */
export const ShipmentCursor = z
  .string()
  .max(500)
  .transform((v, ctx) => {
    try {
      const parsed = z
        .object({ expectedAt: z.iso.datetime({ offset: true }), shipmentUid: Uid })
        .parse(JSON.parse(Buffer.from(v, 'base64url').toString('utf8')));
      return { expectedAt: new Date(parsed.expectedAt), shipmentUid: parsed.shipmentUid };
    } catch {
      ctx.addIssue({ code: 'custom', message: 'cursor is not one this service handed out' });
      return z.NEVER;
    }
  });

export function encodeShipmentCursor(last: { expectedAt: Date; shipmentUid: string }): string {
  return Buffer.from(
    JSON.stringify({ expectedAt: last.expectedAt.toISOString(), shipmentUid: last.shipmentUid }),
  ).toString('base64url');
}

/**
 * List and search shipments (query string): by pharmacy, states (comma-separated), order, tracking number,
 * or `q`, which finds a pharmacy order uid or a tracking number (the desk types whichever it has at hand).
 */
export const ListShipmentsQuery = z.strictObject({
  pharmacy_uid: Uid.optional(),
  q: z.string().trim().min(1, 'q must not be empty').max(200, 'q must be at most 200 characters').optional(),
  state: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    )
    .pipe(z.array(ShipmentStateName))
    .optional(),
  pharmacy_order_uid: Uid.optional(),
  tracking_number: TrackingNumber.optional(),
  limit: z.coerce
    .number({ message: 'limit must be a number' })
    .int('limit must be a whole number')
    .min(1, 'limit must be at least 1')
    .max(200, 'limit must be at most 200')
    .default(50),
  cursor: ShipmentCursor.optional(),
});
export type ListShipmentsQuery = z.output<typeof ListShipmentsQuery>;

/** One order's shipment with its history. */
export const ShipmentOfOrderInput = z.strictObject({ pharmacy_order_uid: Uid });
export type ShipmentOfOrderInput = z.output<typeof ShipmentOfOrderInput>;
