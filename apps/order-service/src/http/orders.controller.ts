import { applyDecorators, Controller, Get, Header, HttpCode, Inject, Post } from '@nestjs/common';
import {
  ApiError,
  Caller,
  RefusesWith,
  RequireScope,
  ZodBody,
  ZodParam,
  ZodQuery,
  ZodResponse,
  type ApiCaller,
} from '@rxbridge/service-kit';
import { RxScaleError } from '@rxbridge/rxscale-client';
import { DataSource, type EntityManager } from 'typeorm';
import { OrderLifecycleService, type LifecycleResult } from '../orders/order-lifecycle.service.js';
import { OrderRetryService } from '../orders/order-retry.service.js';
import { RXSCALE_CLIENT_SOURCE, type RxScaleClientSource } from '../rxscale/rxscale-client-source.js';
import { rxscaleReadRefusal } from '../rxscale/rxscale-read-refusal.js';
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

// The refusals the order routes share, documented once (the edge's own are added to every route).
const UnknownOrder = RefusesWith(404, 'No order with this pharmacy order uid (order_not_found)');
const StepRefused = RefusesWith(
  409,
  "The order's state does not allow this step (transition_not_allowed, order_closed, …), or a request with this Idempotency-Key is still running",
);
const RxScaleReadFailed = applyDecorators(
  RefusesWith(
    502,
    'RxScale refused the read (rxscale_order_not_found, rxscale_read_failed); nothing was changed',
  ),
  RefusesWith(503, 'RxScale could not be reached (rxscale_unavailable); retry after retry-after seconds'),
);

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
  @UnknownOrder
  one(@ZodParam('uid', PharmacyOrderUidParam) uid: string, @Caller() caller: ApiCaller) {
    return this.queries.detail(uid, caller.scopes.has('orders:patient-data'));
  }

  @Post(':uid/ready')
  @HttpCode(200)
  @RequireScope('orders:write')
  @ZodResponse(200, ActionResult, 'The PMS packed the order: ready_for_pickup is queued')
  @UnknownOrder
  @StepRefused
  ready(@ZodParam('uid', PharmacyOrderUidParam) uid: string) {
    return this.act((m) => this.lifecycle.markReady(m, { pharmacyOrderUid: uid }));
  }

  @Post(':uid/hold')
  @HttpCode(200)
  @RequireScope('orders:write')
  @ZodResponse(200, ActionResult, 'on-hold is queued with the comment')
  @UnknownOrder
  @StepRefused
  hold(@ZodParam('uid', PharmacyOrderUidParam) uid: string, @ZodBody(HoldBody) body: { comment: string }) {
    return this.act((m) => this.lifecycle.putOnHold(m, { pharmacyOrderUid: uid, comment: body.comment }));
  }

  @Post(':uid/resume')
  @HttpCode(200)
  @RequireScope('orders:write')
  @ZodResponse(200, ActionResult, 'The order leaves on-hold')
  @UnknownOrder
  @StepRefused
  resume(@ZodParam('uid', PharmacyOrderUidParam) uid: string) {
    return this.act((m) => this.lifecycle.resume(m, { pharmacyOrderUid: uid }));
  }

  @Post(':uid/cancel')
  @HttpCode(200)
  @RequireScope('orders:write')
  @ZodResponse(200, ActionResult, 'The pharmacy cancels the order with a reason')
  @UnknownOrder
  @StepRefused
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
  @UnknownOrder
  @RefusesWith(
    409,
    'The order is not refused (nothing_to_retry), RxScale allows neither the change nor adopting it (retry_not_possible), or a request with this Idempotency-Key is still running',
  )
  @RxScaleReadFailed
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
  @RefusesWith(
    404,
    'No such order (order_not_found), or RxScale holds no prescription file (prescription_not_available)',
  )
  @RxScaleReadFailed
  async prescription(@ZodParam('uid', PharmacyOrderUidParam) uid: string) {
    const row = await this.queries.mustFind(this.dataSource.manager, uid);
    const detail = await this.clients
      .clientFor(row.pharmacy_uid)
      .getPharmacyOrder(uid, { pharmacyUid: row.pharmacy_uid })
      .catch((error: unknown) => {
        throw error instanceof RxScaleError ? rxscaleReadRefusal(error, 'the prescription file') : error;
      });
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
  @UnknownOrder
  @RefusesWith(410, "The order's patient data was removed by the retention (patient_data_purged)")
  deliveryAddress(@ZodParam('uid', PharmacyOrderUidParam) uid: string) {
    return this.queries.deliveryAddress(uid);
  }

  private async act(step: (manager: EntityManager) => Promise<LifecycleResult>) {
    const result = await this.dataSource.transaction(step);
    return { pharmacy_order_uid: result.pharmacyOrderUid, state: result.state, changed: result.changed };
  }
}
