import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  AdminApiKeyInput,
  AdminCancelInput,
  AdminGroupInput,
  AdminOrderInput,
  AdminPharmacyInput,
  AdminPharmacySkuInput,
  AdminPortalStockInput,
  AdminRateLimitInput,
  AdminResetInput,
  AdminSkuInput,
} from '../admin-schemas.js';
import type { DirectoryService } from '../directory.service.js';
import { FaultSpec, type FaultRegistry } from '../faults.js';
import type { OrdersService } from '../orders.service.js';
import type { RateLimiter } from '../rate-limiter.js';
import type { RequestLog } from '../request-log.js';
import { SandboxSettingsPatch, type SandboxSettings } from '../settings.js';
import type { SkusService } from '../skus.service.js';
import type { SandboxStore } from '../store.js';
import type { Views } from '../views.js';
import type { WebhookDispatcher } from '../webhooks/webhook-dispatcher.js';
import { notFound, parseJsonBody, parseOr400 } from './http-error.js';

export interface AdminDeps {
  store: SandboxStore;
  views: Views;
  directory: DirectoryService;
  orders: OrdersService;
  skus: SkusService;
  dispatcher: WebhookDispatcher;
  faults: FaultRegistry;
  rateLimiter: RateLimiter;
  requestLog: RequestLog;
  settings: SandboxSettings;
  reset: (reseed: boolean) => Promise<void>;
}

const input = <T extends z.ZodType>(schema: T, request: FastifyRequest): z.infer<T> =>
  parseOr400(schema, parseJsonBody(request.body), 'Invalid admin input');
const param = (request: FastifyRequest, name: string): string =>
  (request.params as Record<string, string>)[name] ?? '';
const LimitQuery = z.object({
  limit: z.coerce.number().pipe(z.int().min(1, 'limit must be 1 or more').max(100_000)).default(1000),
});

/**
 * The admin API under /_admin: RxScale's side of the story (README "Admin API"). No RxScale auth: the
 * sandbox listens on 127.0.0.1 and is never deployed where others reach it.
 */
export function registerAdminApi(app: FastifyInstance, d: AdminDeps): void {
  app.post('/_admin/reset', async (request) => {
    const { reseed } = input(AdminResetInput, request);
    await d.reset(reseed);
    return { reset: true, reseeded: reseed };
  });
  app.get('/_admin/state', () => ({
    groups: d.store.groups.size,
    pharmacies: d.store.pharmacies.size,
    apiKeys: d.store.apiKeys.size,
    skus: d.store.skus.size,
    pharmacySkus: d.store.pharmacySkus.size,
    orders: d.store.orders.size,
    subscriptions: d.store.subscriptions.size,
    webhooksIdle: d.dispatcher.idle(),
  }));

  app.post('/_admin/groups', (request, reply) => {
    reply.code(201);
    return d.directory.createGroup(input(AdminGroupInput, request));
  });
  app.get('/_admin/groups', () => [...d.store.groups.values()]);
  app.post('/_admin/pharmacies', (request, reply) => {
    reply.code(201);
    return d.directory.createPharmacy(input(AdminPharmacyInput, request));
  });
  app.get('/_admin/pharmacies', () => [...d.store.pharmacies.values()]);

  app.post('/_admin/api-keys', (request, reply) => {
    const { record, key } = d.directory.createApiKey(input(AdminApiKeyInput, request));
    reply.code(201);
    // The only time the key is shown (API.md §2).
    return { ...d.directory.apiKeyView(record), key };
  });
  app.get('/_admin/api-keys', () => [...d.store.apiKeys.values()].map((k) => d.directory.apiKeyView(k)));
  app.delete('/_admin/api-keys/:id', (request, reply) => {
    const key = d.store.apiKeys.get(param(request, 'id'));
    if (!key) throw notFound();
    key.active = false;
    return reply.code(204).send();
  });

  app.post('/_admin/skus', (request, reply) => {
    reply.code(201);
    return d.directory.createSku(input(AdminSkuInput, request));
  });
  app.post('/_admin/pharmacy-skus', (request, reply) => {
    reply.code(201);
    return d.views.pharmacySku(d.directory.createPharmacySku(input(AdminPharmacySkuInput, request)));
  });
  app.get('/_admin/pharmacy-skus/:uid', (request) => {
    const sku = d.store.pharmacySkus.get(param(request, 'uid'));
    if (!sku) throw notFound();
    return d.views.pharmacySku(sku);
  });
  app.patch('/_admin/pharmacy-skus/:uid/stock', (request) =>
    d.skus.portalStock(param(request, 'uid'), input(AdminPortalStockInput, request).stock),
  );

  app.post('/_admin/orders', (request, reply) => {
    reply.code(201);
    return d.orders.adminView(d.orders.create(input(AdminOrderInput, request)));
  });
  app.get('/_admin/orders/:uid', (request) => d.orders.adminView(d.orders.adminFind(param(request, 'uid'))));
  app.get('/_admin/orders/:uid/history', (request) => d.orders.adminFind(param(request, 'uid')).history);
  app.post('/_admin/orders/:uid/cancel', (request) =>
    d.orders.adminView(d.orders.cancel(param(request, 'uid'), input(AdminCancelInput, request).reason)),
  );
  app.post('/_admin/orders/:uid/assign', (request) =>
    d.orders.adminView(d.orders.assign(param(request, 'uid'))),
  );

  app.get('/_admin/requests', (request) =>
    d.requestLog.list(parseOr400(LimitQuery, request.query, 'Invalid admin input').limit),
  );
  app.get('/_admin/webhook-deliveries', () => ({
    idle: d.dispatcher.idle(),
    deliveries: d.dispatcher.list(),
  }));

  app.get('/_admin/faults', () => d.faults.list());
  app.post('/_admin/faults', (request, reply) => {
    reply.code(201);
    return d.faults.add(input(FaultSpec, request));
  });
  app.delete('/_admin/faults/:id', (request, reply) => {
    if (!d.faults.remove(param(request, 'id'))) throw notFound();
    return reply.code(204).send();
  });
  app.delete('/_admin/faults', (_request, reply) => {
    d.faults.clear();
    return reply.code(204).send();
  });

  app.get('/_admin/rate-limit', () => ({
    enabled: d.rateLimiter.enabled,
    limits: d.rateLimiter.limits,
    keys: d.rateLimiter.snapshot(),
  }));
  app.put('/_admin/rate-limit', (request) => {
    d.rateLimiter.enabled = input(AdminRateLimitInput, request).enabled;
    return { enabled: d.rateLimiter.enabled };
  });

  app.get('/_admin/settings', () => d.settings);
  app.patch('/_admin/settings', (request) => Object.assign(d.settings, input(SandboxSettingsPatch, request)));
}
