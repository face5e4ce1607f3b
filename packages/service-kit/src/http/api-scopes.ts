import { z } from 'zod';

/**
 * What a bearer token may do. `orders:patient-data` and `orders:prescription` are separate from `orders:read`
 * because most callers (the shipping desk, dashboards) need an order's state, not who it is for.
 * `orders:delivery-address` is for shipping-service alone (labels and recalls need the address, not the patient).
 * No scope implies another: a token lists every scope it needs.
 */
export const ApiScope = z.enum([
  'orders:read',
  'orders:write',
  'orders:patient-data',
  'orders:prescription',
  // shipping-service reads an order's delivery address from order-service with it, and nothing else does
  'orders:delivery-address',
  'stock:read',
  'stock:write',
  'shipments:read',
  'shipments:write',
  'operator',
]);
export type ApiScope = z.infer<typeof ApiScope>;

/** Who called: the configured token's name (for logs and idempotency keys) and its scopes. */
export interface ApiCaller {
  name: string;
  scopes: ReadonlySet<ApiScope>;
}
