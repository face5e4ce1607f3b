import { Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { RequireScope, ZodBody, ZodParam, ZodQuery, ZodResponse } from '@rxbridge/service-kit';
import { type DataSource } from 'typeorm';
import { type z } from 'zod';
import { SHIPPING_CONFIG, type ShippingConfig } from '../config/shipping-service-config.js';
import { ShippingMetrics } from '../metrics/shipping-metrics.js';
import { ShipmentDeskService, type DeskResult } from '../shipments/shipment-desk.service.js';
import {
  ListShipmentsQuery,
  MarkDeliveredInput,
  RecordHandOverInput,
  recordShipmentInputSchema,
} from '../shipments/shipment-input.js';
import { ShipmentQueryService } from '../shipments/shipment-query.service.js';
import {
  DeliveredBody,
  DispatchBody,
  historyView,
  PharmacyOrderUidParam,
  refuseInvalid,
  ShipmentPageView,
  shipmentView,
  ShipmentView,
  ShipmentWithHistoryView,
} from './shipments.schemas.js';
import { SHIPPING_DATA_SOURCE, SHIPPING_METRICS } from './tokens.js';

/**
 * The shipping desk's API: record what left (carrier, tracking), what the patient collected, what arrived;
 * list, search and read shipments. One use-case call per route, in one transaction; refusals are the
 * domain's codes, mapped to HTTP in `shipment-error-statuses.ts`.
 */
@Controller('shipments')
export class ShipmentsController {
  private readonly dispatchInput: ReturnType<typeof recordShipmentInputSchema>;

  constructor(
    private readonly desk: ShipmentDeskService,
    private readonly query: ShipmentQueryService,
    @Inject(SHIPPING_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(SHIPPING_CONFIG) config: Pick<ShippingConfig, 'carriers'>,
    @Inject(SHIPPING_METRICS) private readonly metrics: ShippingMetrics,
  ) {
    this.dispatchInput = recordShipmentInputSchema(config.carriers);
  }

  @Post(':pharmacy_order_uid/dispatch')
  @HttpCode(200)
  @RequireScope('shipments:write')
  @ZodResponse(200, ShipmentView, 'The shipment left with the carrier (or was already recorded so)')
  async dispatch(
    @ZodParam('pharmacy_order_uid', PharmacyOrderUidParam) uid: string,
    @ZodBody(DispatchBody) body: z.output<typeof DispatchBody>,
  ): Promise<ShipmentView> {
    const input = refuseInvalid(this.dispatchInput, { ...body, pharmacy_order_uid: uid });
    return this.answer(await this.dataSource.transaction((m) => this.desk.recordShipment(m, input)));
  }

  @Post(':pharmacy_order_uid/hand-over')
  @HttpCode(200)
  @RequireScope('shipments:write')
  @ZodResponse(200, ShipmentView, 'The patient collected the pickup order')
  async handOver(@ZodParam('pharmacy_order_uid', PharmacyOrderUidParam) uid: string): Promise<ShipmentView> {
    const input = refuseInvalid(RecordHandOverInput, { pharmacy_order_uid: uid });
    return this.answer(await this.dataSource.transaction((m) => this.desk.recordHandOver(m, input)));
  }

  @Post(':pharmacy_order_uid/delivered')
  @HttpCode(200)
  @RequireScope('shipments:write')
  @ZodResponse(200, ShipmentView, 'The carrier delivered the shipment')
  async delivered(
    @ZodParam('pharmacy_order_uid', PharmacyOrderUidParam) uid: string,
    @ZodBody(DeliveredBody) body: z.output<typeof DeliveredBody>,
  ): Promise<ShipmentView> {
    const input = refuseInvalid(MarkDeliveredInput, { ...body, pharmacy_order_uid: uid });
    return this.answer(await this.dataSource.transaction((m) => this.desk.markDelivered(m, input)));
  }

  @Get()
  @RequireScope('shipments:read')
  @ZodResponse(200, ShipmentPageView, 'Shipments, newest expected first')
  // typed through z.output: a parameter typed with the schema's own name would hand Swagger the zod object as a model
  async list(@ZodQuery(ListShipmentsQuery) query: z.output<typeof ListShipmentsQuery>) {
    const page = await this.dataSource.transaction((m) => this.query.list(m, query));
    return { items: page.shipments.map(shipmentView), next_cursor: page.nextCursor };
  }

  @Get(':pharmacy_order_uid')
  @RequireScope('shipments:read')
  @ZodResponse(200, ShipmentWithHistoryView, "The order's shipment with its history")
  async one(@ZodParam('pharmacy_order_uid', PharmacyOrderUidParam) uid: string) {
    const { shipment, history } = await this.dataSource.transaction((m) =>
      this.query.ofOrder(m, { pharmacy_order_uid: uid }),
    );
    return { ...shipmentView(shipment), history: history.map(historyView) };
  }

  private answer(result: DeskResult): ShipmentView {
    if (!result.replayed) this.metrics.shipmentLeft(result.shipment);
    return shipmentView(result.shipment);
  }
}
