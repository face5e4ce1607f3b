import { Controller, Get, Header, HttpCode, Inject, Post } from '@nestjs/common';
import {
  ApiError,
  Caller,
  RequireScope,
  ZodBody,
  ZodParam,
  ZodQuery,
  ZodResponse,
  type ApiCaller,
} from '@rxbridge/service-kit';
import { DataSource, type EntityManager } from 'typeorm';
import { OrderLifecycleService, type LifecycleResult } from '../orders/order-lifecycle.service.js';
import { OrderRetryService } from '../orders/order-retry.service.js';
import { RXSCALE_CLIENT_SOURCE, type RxScaleClientSource } from '../rxscale/rxscale-client-source.js';
import {
  ActionResult,
  CancelBody,
  DeliveryAddressOut,
  HoldBody,
  ListOrdersQuery,
  type ListOrdersParams,
  OrderDetail,
  OrderList,
  PharmacyOrderUidParam,
  PrescriptionOut,
  RetryBody,
} from './order.schemas.js';
import { OrderQueries } from './order-queries.js';

/** The PMS's and operators' order routes (BRIEF: `{uid}` is RxScale's pharmacy order uid). */
@Controller('orders')
export class OrdersController {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(OrderLifecycleService) private readonly lifecycle: OrderLifecycleService,
    @Inject(OrderQueries) private readonly queries: OrderQueries,
    @Inject(RXSCALE_CLIENT_SOURCE) private readonly clients: RxScaleClientSource,
    @Inject(OrderRetryService) private readonly retries: OrderRetryService,
  ) {}

  @Get()
  @RequireScope('orders:read')
  @ZodResponse(200, OrderList, 'Orders, oldest change first; pass next_cursor for the next page')
  list(@ZodQuery(ListOrdersQuery) query: ListOrdersParams) {
    return this.queries.list(query);
  }

  @Get(':uid')
  @RequireScope('orders:read')
  @ZodResponse(200, OrderDetail, 'The order with its status history and RxScale command log')
  one(@ZodParam('uid', PharmacyOrderUidParam) uid: string, @Caller() caller: ApiCaller) {
    return this.queries.detail(uid, caller.scopes.has('orders:patient-data'));
  }

  @Post(':uid/ready')
  @HttpCode(200)
  @RequireScope('orders:write')
  @ZodResponse(200, ActionResult, 'The PMS packed the order: ready_for_pickup is queued')
  ready(@ZodParam('uid', PharmacyOrderUidParam) uid: string) {
    return this.act((m) => this.lifecycle.markReady(m, { pharmacyOrderUid: uid }));
  }

  @Post(':uid/hold')
  @HttpCode(200)
  @RequireScope('orders:write')
  @ZodResponse(200, ActionResult, 'on-hold is queued with the comment')
  hold(@ZodParam('uid', PharmacyOrderUidParam) uid: string, @ZodBody(HoldBody) body: { comment: string }) {
    return this.act((m) => this.lifecycle.putOnHold(m, { pharmacyOrderUid: uid, comment: body.comment }));
  }

  @Post(':uid/resume')
  @HttpCode(200)
  @RequireScope('orders:write')
  @ZodResponse(200, ActionResult, 'The order leaves on-hold')
  resume(@ZodParam('uid', PharmacyOrderUidParam) uid: string) {
    return this.act((m) => this.lifecycle.resume(m, { pharmacyOrderUid: uid }));
  }

  @Post(':uid/cancel')
  @HttpCode(200)
  @RequireScope('orders:write')
  @ZodResponse(200, ActionResult, 'The pharmacy cancels the order with a reason')
  cancel(@ZodParam('uid', PharmacyOrderUidParam) uid: string, @ZodBody(CancelBody) body: { reason: string }) {
    return this.act((m) =>
      this.lifecycle.cancelByPharmacy(m, { pharmacyOrderUid: uid, reason: body.reason }),
    );
  }

  /**
   * A person resolved why RxScale refused the order's change: RxScale is re-read now, and the change is
   * adopted (RxScale shows it, or closed the order), queued again (RxScale's status allows it), or refused
   * with 409 retry_not_possible naming RxScale's status. An operator's step: `operator` scope.
   */
  @Post(':uid/retry')
  @HttpCode(200)
  @RequireScope('operator')
  @ZodResponse(
    200,
    ActionResult,
    'The refused order after the retry: back where it was (the refused change queued again or adopted), or closed as at RxScale',
  )
  async retry(
    @ZodParam('uid', PharmacyOrderUidParam) uid: string,
    @ZodBody(RetryBody) body: { comment?: string } | undefined,
  ) {
    const result = await this.retries.retry({ pharmacyOrderUid: uid, comment: body?.comment });
    return { pharmacy_order_uid: result.pharmacyOrderUid, state: result.state, changed: result.changed };
  }

  /** Fetched from RxScale now; never stored, never logged (the access log has no body). */
  @Get(':uid/prescription')
  @RequireScope('orders:prescription')
  @ZodResponse(200, PrescriptionOut, 'The prescription file as RxScale has it now')
  @Header('cache-control', 'no-store')
  async prescription(@ZodParam('uid', PharmacyOrderUidParam) uid: string) {
    const row = await this.queries.mustFind(this.dataSource.manager, uid);
    const detail = await this.clients
      .clientFor(row.pharmacy_uid)
      .getPharmacyOrder(uid, { pharmacyUid: row.pharmacy_uid });
    const file = detail.prescription_file;
    if (!file?.content_base64)
      throw new ApiError(
        404,
        'prescription_not_available',
        'RxScale holds no prescription file for the order',
      );
    return { pharmacy_order_uid: uid, filename: file.filename ?? null, content_base64: file.content_base64 };
  }

  @Get(':uid/delivery-address')
  @RequireScope('orders:delivery-address')
  @ZodResponse(200, DeliveryAddressOut, "The order's delivery address (shipping-service)")
  @Header('cache-control', 'no-store')
  deliveryAddress(@ZodParam('uid', PharmacyOrderUidParam) uid: string) {
    return this.queries.deliveryAddress(uid);
  }

  private async act(step: (manager: EntityManager) => Promise<LifecycleResult>) {
    const result = await this.dataSource.transaction(step);
    return { pharmacy_order_uid: result.pharmacyOrderUid, state: result.state, changed: result.changed };
  }
}
