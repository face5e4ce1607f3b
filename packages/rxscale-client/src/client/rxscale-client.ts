import { z } from 'zod';
import {
  CompleteOrderRequest,
  ExternalIdUpdateRequest,
  HealthResponse,
  PayoutPage,
  PayoutSortBy,
  PayoutStatus,
  PharmacyOrderDetail,
  PharmacyOrderPage,
  PharmacyOrderStatus,
  PharmacySkuPage,
  PharmacySkuUpdateRequest,
  RXSCALE_ENDPOINTS,
  StatusUpdateRequest,
  StockUpdateRequest,
  Uid,
  WebhookRegisterRequest,
  WebhookRegisterResponse,
  WebhookSubscriptionList,
  type Payout,
  type PharmacyOrder,
  type PharmacySku,
  type RxScaleEndpointName,
} from '@rxbridge/rxscale-contract';
import type { RxScalePriority } from '../budget/rate-budget.js';
import { RxScaleConfigError } from '../errors.js';
import {
  RxScaleRequestExecutor,
  type RxScaleCallOptions,
  type RxScaleHttpOptions,
} from '../http/request-executor.js';
import { assertPageParams, paginate, type PaginationOptions } from '../pagination/paginate.js';

export type RxScaleClientOptions = RxScaleHttpOptions;

export interface PageParams {
  /** Zero-based (API.md §4). */
  page?: number;
  /** 1..200. */
  limit?: number;
}

export interface ListPharmacyOrdersParams extends PageParams {
  status?: PharmacyOrderStatus;
  /** Substring search (API.md §7.2); never logged (it may be a patient name). */
  search?: string;
}

export type ListPharmacySkusParams = PageParams;

export interface ListPayoutsParams extends PageParams {
  status?: PayoutStatus;
  search?: string;
  /** Unix seconds. */
  startDate?: number;
  endDate?: number;
  sortBy?: PayoutSortBy;
  sortDirection?: 'asc' | 'desc';
}

/**
 * Default rate-budget priority per endpoint (DESIGN.md §5): order status changes first, then shipments,
 * then stock pushes, then everything that reads or maps in the background. A call may override it.
 */
export const ENDPOINT_PRIORITIES: Readonly<Record<RxScaleEndpointName, RxScalePriority>> = {
  health: 'reconciliation',
  listPharmacyOrders: 'reconciliation',
  // Fetching the order a webhook announced is part of handling it.
  getPharmacyOrder: 'order-status',
  updatePharmacyOrderStatus: 'order-status',
  // Completion carries the shipment (DESIGN.md §11) and ends the order's handling.
  completePharmacyOrder: 'shipment',
  listPharmacySkus: 'reconciliation',
  updatePharmacySku: 'stock-push',
  updatePharmacySkuStock: 'stock-push',
  updatePharmacySkuExternalId: 'reconciliation',
  listWebhooks: 'reconciliation',
  registerWebhook: 'reconciliation',
  deleteWebhook: 'reconciliation',
  listPayouts: 'reconciliation',
};

/** Success bodies of the write endpoints are not documented (API.md §7.4-§7.9): kept as parsed, unchecked. */
const UndocumentedBody = z.unknown();

/**
 * RxScale's External Pharmacy API (API.md §7), one method per endpoint. Every attempt of every call takes
 * a token from the rate budget with the endpoint's priority; responses are parsed with the contract.
 */
export class RxScaleClient {
  readonly executor: RxScaleRequestExecutor;

  constructor(options: RxScaleClientOptions) {
    this.executor = new RxScaleRequestExecutor(options);
  }

  /** Closes what the client created itself (its default in-process budget). */
  close(): Promise<void> {
    return this.executor.close();
  }

  /** `GET /health/`: resolves when RxScale answers 2xx (body not documented, returned as parsed). */
  health(options: RxScaleCallOptions = {}): Promise<HealthResponse> {
    return this.call('health', { responseSchema: HealthResponse }, options);
  }

  /** `GET /pharmacy_orders/`: one page. */
  listPharmacyOrders(
    params: ListPharmacyOrdersParams = {},
    options: RxScaleCallOptions = {},
  ): Promise<PharmacyOrderPage> {
    return this.call(
      'listPharmacyOrders',
      {
        validate: () => {
          assertPageParams(params.page, params.limit);
          if (params.status !== undefined) checkParam(PharmacyOrderStatus, params.status, 'status');
        },
        query: { page: params.page, limit: params.limit, status: params.status, search: params.search },
        responseSchema: PharmacyOrderPage,
      },
      options,
    );
  }

  /** Every pharmacy order matching the filter, page after page. */
  iteratePharmacyOrders(
    params: Omit<ListPharmacyOrdersParams, 'page' | 'limit'> & PaginationOptions = {},
    options: RxScaleCallOptions = {},
  ): AsyncGenerator<PharmacyOrder, void, undefined> {
    const { limit, startPage, ...filter } = params;
    return paginate((page, size) => this.listPharmacyOrders({ ...filter, page, limit: size }, options), {
      limit,
      startPage,
    });
  }

  /** `GET /pharmacy_orders/{uid}`: the full order. A 404 means unknown **or** not accessible. */
  getPharmacyOrder(uid: string, options: RxScaleCallOptions = {}): Promise<PharmacyOrderDetail> {
    return this.call('getPharmacyOrder', { uid, responseSchema: PharmacyOrderDetail }, options);
  }

  /**
   * `PATCH /pharmacy_orders/{uid}/status`. `on-hold` needs a non-blank `comment`; `completed` is refused
   * here (only `completePharmacyOrder` completes). Checked before sending.
   */
  updatePharmacyOrderStatus(
    uid: string,
    body: StatusUpdateRequest,
    options: RxScaleCallOptions = {},
  ): Promise<unknown> {
    return this.call(
      'updatePharmacyOrderStatus',
      { uid, body, requestSchema: StatusUpdateRequest, responseSchema: UndocumentedBody },
      options,
    );
  }

  /** `PATCH /pharmacy_orders/{uid}/complete_order`, with the shipment's tracking when there is one (DESIGN.md §11). */
  completePharmacyOrder(
    uid: string,
    body: CompleteOrderRequest = {},
    options: RxScaleCallOptions = {},
  ): Promise<unknown> {
    return this.call(
      'completePharmacyOrder',
      { uid, body, requestSchema: CompleteOrderRequest, responseSchema: UndocumentedBody },
      options,
    );
  }

  /** `GET /pharmacy_skus/`: one page. */
  listPharmacySkus(
    params: ListPharmacySkusParams = {},
    options: RxScaleCallOptions = {},
  ): Promise<PharmacySkuPage> {
    return this.call(
      'listPharmacySkus',
      {
        validate: () => assertPageParams(params.page, params.limit),
        query: { page: params.page, limit: params.limit },
        responseSchema: PharmacySkuPage,
      },
      options,
    );
  }

  /** Every pharmacy SKU, page after page. */
  iteratePharmacySkus(
    params: PaginationOptions = {},
    options: RxScaleCallOptions = {},
  ): AsyncGenerator<PharmacySku, void, undefined> {
    return paginate((page, limit) => this.listPharmacySkus({ page, limit }, options), params);
  }

  /** `PATCH /pharmacy_skus/{uid}`: price (cents), stock (absolute) and/or external id. */
  updatePharmacySku(
    uid: string,
    body: PharmacySkuUpdateRequest,
    options: RxScaleCallOptions = {},
  ): Promise<unknown> {
    return this.call(
      'updatePharmacySku',
      { uid, body, requestSchema: PharmacySkuUpdateRequest, responseSchema: UndocumentedBody },
      options,
    );
  }

  /** `PATCH /pharmacy_skus/{uid}/stock` with `{"stock": n}`, an absolute level (DESIGN.md §11). */
  updatePharmacySkuStock(uid: string, stock: number, options: RxScaleCallOptions = {}): Promise<unknown> {
    return this.call(
      'updatePharmacySkuStock',
      { uid, body: { stock }, requestSchema: StockUpdateRequest, responseSchema: UndocumentedBody },
      options,
    );
  }

  /** `PATCH /pharmacy_skus/{uid}/external_id` with `{"external_id": id}`. */
  updatePharmacySkuExternalId(
    uid: string,
    externalId: string,
    options: RxScaleCallOptions = {},
  ): Promise<unknown> {
    return this.call(
      'updatePharmacySkuExternalId',
      {
        uid,
        body: { external_id: externalId },
        requestSchema: ExternalIdUpdateRequest,
        responseSchema: UndocumentedBody,
      },
      options,
    );
  }

  /** `GET /webhooks/`: every subscription (a bare array; secrets are never listed). */
  listWebhooks(options: RxScaleCallOptions = {}): Promise<WebhookSubscriptionList> {
    return this.call('listWebhooks', { responseSchema: WebhookSubscriptionList }, options);
  }

  /** `POST /webhooks/`: the answer holds `signing_secret`, shown this once: store it before anything else. */
  registerWebhook(
    body: WebhookRegisterRequest,
    options: RxScaleCallOptions = {},
  ): Promise<WebhookRegisterResponse> {
    return this.call(
      'registerWebhook',
      { body, requestSchema: WebhookRegisterRequest, responseSchema: WebhookRegisterResponse },
      options,
    );
  }

  /** `DELETE /webhooks/{uid}` (204). */
  async deleteWebhook(uid: string, options: RxScaleCallOptions = {}): Promise<void> {
    await this.call('deleteWebhook', { uid, responseSchema: UndocumentedBody }, options);
  }

  /** `GET /payouts`: one page. */
  listPayouts(params: ListPayoutsParams = {}, options: RxScaleCallOptions = {}): Promise<PayoutPage> {
    return this.call(
      'listPayouts',
      {
        validate: () => validatePayoutParams(params),
        query: {
          page: params.page,
          limit: params.limit,
          status: params.status,
          search: params.search,
          start_date: params.startDate,
          end_date: params.endDate,
          sort_by: params.sortBy,
          sort_direction: params.sortDirection,
        },
        responseSchema: PayoutPage,
      },
      options,
    );
  }

  /** Every payout row matching the filter, page after page. */
  iteratePayouts(
    params: Omit<ListPayoutsParams, 'page' | 'limit'> & PaginationOptions = {},
    options: RxScaleCallOptions = {},
  ): AsyncGenerator<Payout, void, undefined> {
    const { limit, startPage, ...filter } = params;
    return paginate((page, size) => this.listPayouts({ ...filter, page, limit: size }, options), {
      limit,
      startPage,
    });
  }

  private async call<T>(
    name: RxScaleEndpointName,
    spec: {
      /** Checks of the call's own arguments; a failure rejects the call before anything is sent. */
      validate?: () => void;
      uid?: string;
      query?: Record<string, string | number | undefined>;
      body?: unknown;
      requestSchema?: z.ZodType;
      responseSchema: z.ZodType<T>;
    },
    options: RxScaleCallOptions,
  ): Promise<T> {
    const endpoint = RXSCALE_ENDPOINTS[name];
    spec.validate?.();
    if (endpoint.path.includes('{uid}')) checkParam(Uid, spec.uid, 'uid');
    return await this.executor.request({
      ...options,
      method: endpoint.method,
      pathTemplate: endpoint.path,
      ...(spec.uid !== undefined ? { pathParams: { uid: spec.uid } } : {}),
      query: spec.query,
      body: spec.body,
      requestSchema: spec.requestSchema,
      responseSchema: spec.responseSchema,
      priority: options.priority ?? ENDPOINT_PRIORITIES[name],
    });
  }
}

function validatePayoutParams(params: ListPayoutsParams): void {
  assertPageParams(params.page, params.limit);
  if (params.status !== undefined) checkParam(PayoutStatus, params.status, 'status');
  if (params.sortBy !== undefined) checkParam(PayoutSortBy, params.sortBy, 'sortBy');
  if (params.sortDirection !== undefined)
    checkParam(z.enum(['asc', 'desc']), params.sortDirection, 'sortDirection');
  for (const [name, value] of [
    ['startDate', params.startDate],
    ['endDate', params.endDate],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
      throw new RxScaleConfigError('param_invalid', `${name} must be a Unix timestamp in seconds`);
    }
  }
}

function checkParam(schema: z.ZodType, value: unknown, name: string): void {
  if (!schema.safeParse(value).success) {
    throw new RxScaleConfigError('param_invalid', `${name} is not a valid value for this call`);
  }
}
