import { z } from 'zod';
import { ApiPermission, PharmacySkuUpdateRequest } from '@rxbridge/rxscale-contract';

const uid = (name: string) =>
  z.string(`${name} must be a string`).min(1, `${name} must not be empty`).max(100);
const displayName = z
  .string('display_name must be a string')
  .min(1, 'display_name must not be empty')
  .max(200);

export const AdminGroupInput = z.object({ uid: uid('uid').optional(), display_name: displayName });
export type AdminGroupInput = z.infer<typeof AdminGroupInput>;

export const AdminPharmacyInput = z.object({
  uid: uid('uid').optional(),
  display_name: displayName,
  group_uid: uid('group_uid').optional(),
  hidden_sku_type: z.enum(['digital', 'physical']).nullable().default(null),
});
export type AdminPharmacyInput = z.infer<typeof AdminPharmacyInput>;

export const AdminApiKeyInput = z
  .object({
    name: z.string().min(1, 'name must not be empty').max(200),
    /** Exactly one: a single-pharmacy key or a group-wide key (API.md §3). */
    pharmacy_uid: uid('pharmacy_uid').optional(),
    group_uid: uid('group_uid').optional(),
    permissions: z.array(ApiPermission).min(1, 'permissions must name at least one permission'),
    /** A fixed key value, for seeds and demos only; otherwise one is generated. */
    key: z.string().min(16, 'key must be at least 16 characters').max(200).optional(),
    id: uid('id').optional(),
  })
  .refine((k) => (k.pharmacy_uid === undefined) !== (k.group_uid === undefined), {
    message: 'exactly one of pharmacy_uid (single-pharmacy key) or group_uid (group-wide key) is required',
    path: ['pharmacy_uid'],
  });
export type AdminApiKeyInput = z.infer<typeof AdminApiKeyInput>;

export const AdminSkuInput = z.object({
  uid: uid('uid').optional(),
  display_name: displayName,
  pzn: z.string().regex(/^\d{8}$/, 'pzn must be 8 digits'),
  product_uid: uid('product_uid').optional(),
  product_display_name: z.string().min(1).max(200).optional(),
  standard_selling_unit: z.number().positive().default(1),
  unit: z.string().min(1).max(20).default('St'),
  product_handle: z.string().min(1).max(200).optional(),
  digital: z.boolean().default(false),
});
export type AdminSkuInput = z.infer<typeof AdminSkuInput>;

export const AdminPharmacySkuInput = z.object({
  uid: uid('uid').optional(),
  pharmacy_uid: uid('pharmacy_uid'),
  sku_uid: uid('sku_uid'),
  price: z.int('price must be an integer (cents)').nonnegative('price must be 0 or more'),
  stock: z.int('stock must be an integer').nonnegative('stock must be 0 or more'),
  external_id: z.string().min(1).max(255).nullable().default(null),
});
export type AdminPharmacySkuInput = z.infer<typeof AdminPharmacySkuInput>;

/** A stock change "from the Pharmacy Portal": raises `pharmacy_sku_stock_updated`. */
export const AdminPortalStockInput = z.object({
  stock: z.int('stock must be an integer').nonnegative('stock must be 0 or more'),
});

const AddressInput = z.object({
  street: z.string().min(1).max(200).default('Musterstraße'),
  house_number: z.string().min(1).max(20).default('1'),
  zip_code: z.string().min(1).max(20).default('10115'),
  city: z.string().min(1).max(100).default('Berlin'),
  country: z.string().min(1).max(100).default('Germany'),
  additional_address: z.string().max(200).nullable().default(null),
  province: z.string().max(100).nullable().default(null),
});

export const AdminOrderInput = z.object({
  uid: uid('uid').optional(),
  pharmacy_uid: uid('pharmacy_uid'),
  /** `init` orders are not yet assigned; `POST /_admin/orders/{uid}/assign` assigns them later. */
  status: z.enum(['init', 'waiting for pharmacy']).default('waiting for pharmacy'),
  name: z.string().min(1).max(100).optional(),
  shop_order_name: z.string().min(1).max(100).optional(),
  external_status: z.string().min(1).max(50).default('OPEN'),
  priority: z.int().min(0).max(10).default(0),
  delivery: z.enum(['shipping', 'pickup']).default('shipping'),
  shipping_costs_amount: z.int().nonnegative().optional(),
  items: z
    .array(
      z.object({
        pharmacy_sku_uid: uid('pharmacy_sku_uid'),
        amount: z.int('amount must be an integer').positive('amount must be positive'),
        total_paid_amount: z.int().nonnegative().optional(),
      }),
    )
    .min(1, 'items must hold at least one line'),
  /** Invented patient data only. */
  patient: z
    .object({
      first_name: z.string().min(1).max(100),
      last_name: z.string().min(1).max(100),
      email: z.email('patient.email must be an e-mail address').optional(),
      date_of_birth: z.iso.date('patient.date_of_birth must be YYYY-MM-DD').optional(),
    })
    .default({ first_name: 'Erika', last_name: 'Musterfrau', email: 'erika.musterfrau@example.org' }),
  delivery_address: AddressInput.default(AddressInput.parse({})),
  invoice_address: AddressInput.optional(),
  data: z.record(z.string(), z.unknown()).default({}),
});
export type AdminOrderInput = z.infer<typeof AdminOrderInput>;

export const AdminCancelInput = z.object({ reason: z.string().min(1).max(2000).optional() }).default({});

export const AdminRateLimitInput = z.object({ enabled: z.boolean('enabled must be true or false') });

export const AdminResetInput = z.object({ reseed: z.boolean().default(false) }).default({ reseed: false });

/** Admin pharmacy-SKU updates reuse the API's rules. */
export const AdminPharmacySkuPatch = PharmacySkuUpdateRequest;

/** The seed file: the same inputs as the admin API, applied in order (README "Seed"). */
export const SeedFile = z.object({
  groups: z.array(AdminGroupInput).default([]),
  pharmacies: z.array(AdminPharmacyInput).default([]),
  api_keys: z.array(AdminApiKeyInput).default([]),
  skus: z.array(AdminSkuInput).default([]),
  pharmacy_skus: z.array(AdminPharmacySkuInput).default([]),
  orders: z.array(AdminOrderInput).default([]),
});
export type SeedFile = z.infer<typeof SeedFile>;
