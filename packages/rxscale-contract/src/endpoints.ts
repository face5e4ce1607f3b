import { z } from 'zod';

/** Both documented base paths (API.md §1, §13); DESIGN.md §11 picks the hyphen form as default. */
export const RXSCALE_BASE_PATHS = ['/v1/external-pharmacy-api-v1', '/v1/external_pharmacy_api'] as const;
export type RxScaleBasePath = (typeof RXSCALE_BASE_PATHS)[number];
export const DEFAULT_RXSCALE_BASE_PATH: RxScaleBasePath = '/v1/external-pharmacy-api-v1';

/** Key permissions of the External Pharmacy API (API.md §2). */
export const API_PERMISSIONS = [
  'orders_read',
  'orders_write',
  'stock_read',
  'stock_write',
  'pharmacy_sku_write',
  'webhooks_read',
  'webhooks_write',
] as const;
export const ApiPermission = z.enum(API_PERMISSIONS, {
  error: (issue) =>
    `unknown permission ${JSON.stringify(issue.input)}; expected one of: ${API_PERMISSIONS.join(', ')}`,
});
export type ApiPermission = z.infer<typeof ApiPermission>;

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface EndpointDefinition {
  method: HttpMethod;
  /** Path template below the base path, with the trailing slash as documented (API.md §1). */
  path: string;
  /** The call is allowed when the key holds any one of these; empty = any valid key (health, undocumented). */
  anyOf: readonly ApiPermission[];
}

/** Every endpoint of API.md §7 with the permissions of §2. Path templates double as metric labels. */
export const RXSCALE_ENDPOINTS = {
  health: { method: 'GET', path: '/health/', anyOf: [] },
  listPharmacyOrders: { method: 'GET', path: '/pharmacy_orders/', anyOf: ['orders_read'] },
  getPharmacyOrder: { method: 'GET', path: '/pharmacy_orders/{uid}', anyOf: ['orders_read'] },
  updatePharmacyOrderStatus: {
    method: 'PATCH',
    path: '/pharmacy_orders/{uid}/status',
    anyOf: ['orders_write'],
  },
  completePharmacyOrder: {
    method: 'PATCH',
    path: '/pharmacy_orders/{uid}/complete_order',
    anyOf: ['orders_write'],
  },
  listPharmacySkus: { method: 'GET', path: '/pharmacy_skus/', anyOf: ['stock_read'] },
  updatePharmacySku: { method: 'PATCH', path: '/pharmacy_skus/{uid}', anyOf: ['pharmacy_sku_write'] },
  updatePharmacySkuStock: {
    method: 'PATCH',
    path: '/pharmacy_skus/{uid}/stock',
    anyOf: ['stock_write', 'pharmacy_sku_write'],
  },
  updatePharmacySkuExternalId: {
    method: 'PATCH',
    path: '/pharmacy_skus/{uid}/external_id',
    anyOf: ['pharmacy_sku_write'],
  },
  listWebhooks: { method: 'GET', path: '/webhooks/', anyOf: ['webhooks_read'] },
  registerWebhook: { method: 'POST', path: '/webhooks/', anyOf: ['webhooks_write'] },
  deleteWebhook: { method: 'DELETE', path: '/webhooks/{uid}', anyOf: ['webhooks_write'] },
  listPayouts: { method: 'GET', path: '/payouts', anyOf: ['orders_read'] },
} as const satisfies Record<string, EndpointDefinition>;
export type RxScaleEndpointName = keyof typeof RXSCALE_ENDPOINTS;

/** Fills `{uid}` in a path template, URL-encoding the uid (uids are opaque). */
export function endpointPath(template: string, uid?: string): string {
  if (!template.includes('{uid}')) return template;
  if (uid === undefined || uid === '') throw new Error(`path ${template} needs a uid`);
  return template.replace('{uid}', encodeURIComponent(uid));
}
