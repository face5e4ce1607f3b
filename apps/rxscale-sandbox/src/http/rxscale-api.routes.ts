import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  CompleteOrderRequest,
  ERROR_MESSAGES,
  ExternalIdUpdateRequest,
  ListPayoutsQuery,
  ListPharmacyOrdersQuery,
  ListPharmacySkusQuery,
  PharmacySkuUpdateRequest,
  RXSCALE_BASE_PATHS,
  RXSCALE_ENDPOINTS,
  StatusUpdateRequest,
  StockUpdateRequest,
  WebhookRegisterRequest,
  type EndpointDefinition,
  type RxScaleEndpointName,
} from '@rxbridge/rxscale-contract';
import type { FaultRegistry } from '../faults.js';
import { hashApiKey } from '../ids.js';
import type { OrdersService } from '../orders.service.js';
import type { RateLimiter } from '../rate-limiter.js';
import type { SkusService } from '../skus.service.js';
import { sleep } from '../sleep.js';
import type { ApiKeyRecord, SandboxStore } from '../store.js';
import type { SubscriptionsService } from '../webhooks/subscriptions.service.js';
import { authError, badRequest, HttpError, notFound, parseJsonBody, parseOr400 } from './http-error.js';

/** What the request log needs to know about a call, filled in as the pipeline learns it. */
export interface RequestMeta {
  endpoint: string | null;
  basePath: string | null;
  keyId: string | null;
  pharmacyUid: string | null;
}
export const requestMeta = new WeakMap<FastifyRequest, RequestMeta>();

interface Call {
  key: ApiKeyRecord;
  pharmacyUid: string;
  uid: string;
  query: unknown;
  body: () => unknown;
}
interface Result {
  status?: number;
  body?: unknown;
}

export interface RxScaleApiDeps {
  store: SandboxStore;
  orders: OrdersService;
  skus: SkusService;
  subscriptions: SubscriptionsService;
  rateLimiter: RateLimiter;
  faults: FaultRegistry;
  shutdown: AbortSignal;
}

/**
 * Every endpoint of API.md §7 under both base paths, with and without the trailing slash (the docs do not
 * say whether RxScale is strict). Each call goes: faults → key (401) → rate limit (429) → permission (403)
 * → pharmacy scope (400/404) → body (400) → handler.
 */
export function registerRxScaleApi(app: FastifyInstance, deps: RxScaleApiDeps): void {
  const { orders, skus, subscriptions } = deps;
  const actor = (c: Call) => `api-key:${c.key.id}`;
  const handlers: Record<RxScaleEndpointName, (c: Call) => Result> = {
    health: () => ({ body: { status: 'ok' } }),
    listPharmacyOrders: (c) => ({
      body: orders.list(
        c.pharmacyUid,
        parseOr400(ListPharmacyOrdersQuery, c.query, 'Invalid query parameters'),
      ),
    }),
    getPharmacyOrder: (c) => ({ body: orders.get(c.pharmacyUid, c.uid) }),
    updatePharmacyOrderStatus: (c) => ({
      body: orders.updateStatus(
        c.pharmacyUid,
        c.uid,
        parseOr400(StatusUpdateRequest, c.body(), 'Invalid request body'),
        actor(c),
      ),
    }),
    completePharmacyOrder: (c) => ({
      body: orders.complete(
        c.pharmacyUid,
        c.uid,
        parseOr400(CompleteOrderRequest, c.body() ?? {}, 'Invalid request body'),
        actor(c),
      ),
    }),
    listPharmacySkus: (c) => ({
      body: skus.list(c.pharmacyUid, parseOr400(ListPharmacySkusQuery, c.query, 'Invalid query parameters')),
    }),
    updatePharmacySku: (c) => ({
      body: skus.update(
        c.pharmacyUid,
        c.uid,
        parseOr400(PharmacySkuUpdateRequest, c.body(), 'Invalid request body'),
      ),
    }),
    updatePharmacySkuStock: (c) => ({
      body: skus.update(
        c.pharmacyUid,
        c.uid,
        parseOr400(StockUpdateRequest, c.body(), 'Invalid request body'),
      ),
    }),
    updatePharmacySkuExternalId: (c) => ({
      body: skus.updateExternalId(
        c.pharmacyUid,
        c.uid,
        parseOr400(ExternalIdUpdateRequest, c.body(), 'Invalid request body'),
      ),
    }),
    listWebhooks: (c) => ({ body: subscriptions.list(c.pharmacyUid) }),
    registerWebhook: (c) => ({
      status: 201,
      body: subscriptions.register(
        c.pharmacyUid,
        parseOr400(WebhookRegisterRequest, c.body(), 'Invalid request body'),
      ),
    }),
    deleteWebhook: (c) => {
      subscriptions.remove(c.pharmacyUid, c.uid);
      return { status: 204 };
    },
    listPayouts: (c) => ({
      body: orders.listPayouts(
        c.pharmacyUid,
        parseOr400(ListPayoutsQuery, c.query, 'Invalid query parameters'),
      ),
    }),
  };

  for (const basePath of RXSCALE_BASE_PATHS) {
    for (const [name, def] of Object.entries(RXSCALE_ENDPOINTS) as [
      RxScaleEndpointName,
      EndpointDefinition,
    ][]) {
      const url = basePath + def.path.replace('{uid}', ':uid');
      const variants = url.endsWith('/') ? [url, url.slice(0, -1)] : [url, `${url}/`];
      for (const variant of variants)
        app.route({
          method: def.method,
          url: variant,
          handler: (request, reply) => handle(deps, basePath, def, handlers[name], request, reply),
        });
    }
  }
}

async function handle(
  deps: RxScaleApiDeps,
  basePath: string,
  def: EndpointDefinition,
  handler: (c: Call) => Result,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const meta: RequestMeta = {
    endpoint: `${def.method} ${def.path}`,
    basePath,
    keyId: null,
    pharmacyUid: null,
  };
  requestMeta.set(request, meta);
  await applyEndpointFaults(deps, def, reply);
  const key = authenticate(deps.store, request.headers);
  meta.keyId = key.id;
  if (!deps.rateLimiter.take(key.id)) throw new HttpError(429, { error: ERROR_MESSAGES.rateLimited });
  if (def.anyOf.length > 0 && !def.anyOf.some((p) => key.permissions.includes(p)))
    throw authError(403, 'permission_denied', 'Permission denied');
  const query = request.query as Record<string, unknown>;
  const pharmacyUid = resolvePharmacy(deps.store, key, query['pharmacy_uid']);
  meta.pharmacyUid = pharmacyUid;
  const uid = (request.params as { uid?: string }).uid ?? '';
  const result = handler({ key, pharmacyUid, uid, query, body: () => parseJsonBody(request.body) });
  reply.code(result.status ?? 200);
  if (result.status === 204) return reply.send();
  return result.body;
}

async function applyEndpointFaults(
  deps: RxScaleApiDeps,
  def: EndpointDefinition,
  reply: FastifyReply,
): Promise<void> {
  const faults = deps.faults.forEndpoint(def.method, def.path);
  if (faults.length === 0) return;
  for (const f of faults) if (f.kind === 'latency') await sleep(f.ms, deps.shutdown);
  const hang = faults.find((f) => f.kind === 'hang');
  if (hang) {
    // Held past the client's timeout; ends early when the client gives up or the sandbox stops.
    const clientGone = new AbortController();
    reply.raw.once('close', () => clientGone.abort());
    await sleep(hang.ms, AbortSignal.any([deps.shutdown, clientGone.signal]));
    throw new HttpError(504, { error: 'Gateway timeout' });
  }
  const error = faults.find((f) => f.kind === 'error');
  // RxScale's docs answer unexpected server errors with {"error": "Bad request"} (API.md §5).
  if (error) throw new HttpError(error.status, { error: 'Bad request' });
  const limited = faults.find((f) => f.kind === 'rate_limit');
  if (limited)
    throw new HttpError(
      429,
      { error: ERROR_MESSAGES.rateLimited },
      limited.retryAfterSeconds === undefined ? {} : { 'retry-after': String(limited.retryAfterSeconds) },
    );
}

function authenticate(store: SandboxStore, headers: FastifyRequest['headers']): ApiKeyRecord {
  const value = headers['x-api-key'];
  if (value === undefined || value === '') {
    if (headers.authorization !== undefined)
      throw authError(401, 'api_key_missing', 'X-API-Key header expected');
    throw authError(401, 'authorization_header_missing', 'Authorization or X-API-Key header missing');
  }
  if (Array.isArray(value)) throw authError(401, 'invalid_header', 'X-API-Key header must be sent once');
  const key = store.apiKeysByHash.get(hashApiKey(value));
  if (!key || !key.active) throw authError(401, 'invalid_api_key', 'API key not found or inactive');
  return key;
}

/**
 * Single-pharmacy keys act on their pharmacy; a different `pharmacy_uid` is answered 404. Group keys need
 * `pharmacy_uid` on every call (API.md §3; the error is undocumented: we answer 400) and may name only
 * pharmacies of their group (404 otherwise, hiding whether it exists).
 */
function resolvePharmacy(store: SandboxStore, key: ApiKeyRecord, param: unknown): string {
  if (param !== undefined && typeof param !== 'string') throw badRequest('pharmacy_uid must be given once');
  if (key.scope.kind === 'pharmacy') {
    if (param !== undefined && param !== '' && param !== key.scope.pharmacy_uid) throw notFound();
    return key.scope.pharmacy_uid;
  }
  if (param === undefined || param === '') throw badRequest('pharmacy_uid is required for group keys');
  const pharmacy = store.pharmacies.get(param);
  if (!pharmacy || pharmacy.group_uid !== key.scope.group_uid) throw notFound();
  return pharmacy.uid;
}
