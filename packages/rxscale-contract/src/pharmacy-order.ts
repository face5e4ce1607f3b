import { z } from 'zod';
import { Cents, optionalNullable, Uid, UnixTimestamp } from './common.js';
import { PharmacyOrderStatus, PharmacySettableStatus } from './order-status.js';
import { PageQuery, Paginated } from './pagination.js';
import { Payout } from './payout.js';

/**
 * Delivery or invoice address (API.md §8.1). Patient data: every field lenient, since a missing name
 * must not make an order unprocessable; `province` exists only in the newest API responses.
 */
export const Address = z.looseObject({
  first_name: optionalNullable(z.string()),
  last_name: optionalNullable(z.string()),
  street: optionalNullable(z.string()),
  house_number: optionalNullable(z.string()),
  zip_code: optionalNullable(z.string()),
  city: optionalNullable(z.string()),
  /** A country name ("Germany"), not an ISO code. */
  country: optionalNullable(z.string()),
  additional_address: optionalNullable(z.string()),
  province: optionalNullable(z.string()),
});
export type Address = z.infer<typeof Address>;

export const PharmacyRef = z.looseObject({
  uid: Uid,
  display_name: optionalNullable(z.string()),
});
export type PharmacyRef = z.infer<typeof PharmacyRef>;

/** The parent (patient) order. In webhooks the shipping costs sit here; in API responses at top level. */
export const ParentOrder = z.looseObject({
  uid: Uid,
  delivery_address: optionalNullable(Address),
  invoice_address: optionalNullable(Address),
  priority: optionalNullable(z.int()),
  shipping_costs_amount: optionalNullable(Cents),
  shipping_costs_currency: optionalNullable(z.string()),
});
export type ParentOrder = z.infer<typeof ParentOrder>;

/** Catalogue SKU as embedded in an order item; the webhook adds the product fields. */
export const OrderItemSku = z.looseObject({
  uid: Uid,
  display_name: optionalNullable(z.string()),
  pzn: optionalNullable(z.string()),
  product_uid: optionalNullable(z.string()),
  product_display_name: optionalNullable(z.string()),
  product_handle: optionalNullable(z.string()),
});
export type OrderItemSku = z.infer<typeof OrderItemSku>;

/** The pharmacy's own SKU for an order line (webhook payloads). */
export const OrderItemPharmacySku = z.looseObject({
  uid: Uid,
  external_id: optionalNullable(z.string()),
  price: optionalNullable(Cents),
  stock: optionalNullable(z.int()),
});
export type OrderItemPharmacySku = z.infer<typeof OrderItemPharmacySku>;

export const OrderItem = z.looseObject({
  uid: Uid,
  /** Quantity: stock is reserved and reduced by it, so it must be a positive integer. */
  amount: z.int('amount must be an integer').positive('amount must be positive'),
  sku: OrderItemSku,
  total_paid_amount: optionalNullable(Cents),
  pharmacy_sku: optionalNullable(OrderItemPharmacySku),
});
export type OrderItem = z.infer<typeof OrderItem>;

export const ShopShippingMethod = z.looseObject({
  uid: Uid,
  display_name: optionalNullable(z.string()),
  external_id: optionalNullable(z.string()),
  pharmacy_mapping: optionalNullable(
    z.looseObject({
      pharmacy_uid: optionalNullable(z.string()),
      shipping_method_identifier_for_pharmacy: optionalNullable(z.string()),
    }),
  ),
});
export type ShopShippingMethod = z.infer<typeof ShopShippingMethod>;

export const DeliveryType = z.looseObject({
  uid: Uid,
  display_name: optionalNullable(z.string()),
  identifier: optionalNullable(z.string()),
});
export type DeliveryType = z.infer<typeof DeliveryType>;

export const PatientData = z.looseObject({
  uid: Uid,
  display_name: optionalNullable(z.string()),
  email: optionalNullable(z.string()),
  /** `YYYY-MM-DD`. */
  date_of_birth: optionalNullable(z.string()),
});
export type PatientData = z.infer<typeof PatientData>;

/**
 * A pharmacy order as listed by `GET /pharmacy_orders/` and sent in order webhooks (API.md §8.1).
 * Strict on what RxBridge acts on (uid, status, pharmacy uid, parent order uid, line uids, SKU uids,
 * amounts); everything the revisions disagree on is optional (API.md §13); unknown fields are kept.
 */
export const PharmacyOrder = z.looseObject({
  uid: Uid,
  status: PharmacyOrderStatus,
  name: optionalNullable(z.string()),
  shop_order_name: optionalNullable(z.string()),
  external_status: optionalNullable(z.string()),
  pharmacy: PharmacyRef,
  order: ParentOrder,
  order_items: z.array(OrderItem),
  shop_shipping_methods: optionalNullable(z.array(ShopShippingMethod)),
  shipping_costs_amount: optionalNullable(Cents),
  shipping_costs_currency: optionalNullable(z.string()),
  data: optionalNullable(z.record(z.string(), z.unknown())),
  created_at: optionalNullable(UnixTimestamp),
  updated_at: optionalNullable(UnixTimestamp),
  deleted_at: optionalNullable(UnixTimestamp),
  delivery_type: optionalNullable(DeliveryType),
  patient_data: optionalNullable(PatientData),
});
export type PharmacyOrder = z.infer<typeof PharmacyOrder>;

export const DoctorData = z.looseObject({
  uid: Uid,
  display_name: optionalNullable(z.string()),
});
export type DoctorData = z.infer<typeof DoctorData>;

export const PrescriptionFile = z.looseObject({
  filename: optionalNullable(z.string()),
  /** The whole file, base64. Never logged or stored (DESIGN.md §7). */
  content_base64: optionalNullable(z.string()),
});
export type PrescriptionFile = z.infer<typeof PrescriptionFile>;

/** `GET /pharmacy_orders/{uid}`: the list fields plus the detail fields (API.md §7.3). */
export const PharmacyOrderDetail = PharmacyOrder.extend({
  doctor_data: optionalNullable(DoctorData),
  prescription_file: optionalNullable(PrescriptionFile),
  /** Meaning not documented; the revisions show 0/1. */
  prepaid: optionalNullable(z.union([z.int(), z.boolean()])),
  payouts: optionalNullable(z.array(Payout)),
});
export type PharmacyOrderDetail = z.infer<typeof PharmacyOrderDetail>;

export const PharmacyOrderPage = Paginated(PharmacyOrder);
export type PharmacyOrderPage = z.infer<typeof PharmacyOrderPage>;

/** Query of `GET /pharmacy_orders/` (API.md §7.2); values arrive as strings in a URL. */
export const ListPharmacyOrdersQuery = PageQuery.extend({
  status: PharmacyOrderStatus.optional(),
  search: z.string().optional(),
  pharmacy_uid: z.string().min(1).optional(),
});
export type ListPharmacyOrdersQuery = z.infer<typeof ListPharmacyOrdersQuery>;

/**
 * Body of `PATCH …/status` (API.md §7.4). The comment key is `comment` (our reading of the prose); it is
 * required and non-blank for `on-hold` and ignored otherwise.
 */
export const StatusUpdateRequest = z
  .object({
    status: PharmacySettableStatus,
    comment: z.string().max(5000, 'comment must be at most 5000 characters').optional(),
  })
  .check((ctx) => {
    if (ctx.value.status === 'on-hold' && !ctx.value.comment?.trim()) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value.comment,
        path: ['comment'],
        message: 'comment is required and must not be blank when the status is on-hold',
      });
    }
  });
export type StatusUpdateRequest = z.infer<typeof StatusUpdateRequest>;

/**
 * Body of `PATCH …/complete_order`. The docs do not show it (API.md §7.5, §14.2); DESIGN.md §11 decides
 * that shipping information travels here. All optional: a pickup order has no tracking.
 */
export const CompleteOrderRequest = z.object({
  tracking_number: z.string().min(1, 'tracking_number must not be empty').max(200).optional(),
  tracking_url: z.url({ protocol: /^https?$/, error: 'tracking_url must be an http(s) URL' }).optional(),
  carrier: z.string().min(1, 'carrier must not be empty').max(100).optional(),
});
export type CompleteOrderRequest = z.infer<typeof CompleteOrderRequest>;
