import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Topics, type AnyEvent, type EventOfType } from '@rxbridge/contracts';
import { OnEvent, OnTopic, PlumbingContext } from '@rxbridge/service-kit';
import { OrderLifecycleService } from '../orders/order-lifecycle.service.js';
import { UnknownOrderEvents } from './unknown-order.js';

/**
 * shipping-service's facts (`pharmacy.shipments.v1`): dispatched or handed over → complete_order at RxScale.
 * A fact about an order never stored here is counted and left alone (`UnknownOrderEvents`).
 */
@Controller()
export class ShipmentEventsHandler {
  constructor(
    @Inject(OrderLifecycleService) private readonly lifecycle: OrderLifecycleService,
    @Inject(UnknownOrderEvents) private readonly unknownOrders: UnknownOrderEvents,
  ) {}

  @OnEvent('pharmacy.shipment.dispatched')
  async dispatched(
    @Payload() event: EventOfType<'pharmacy.shipment.dispatched'>,
    @Ctx() ctx: PlumbingContext,
  ): Promise<void> {
    await this.unknownOrders.unlessUnknown(event, () =>
      this.lifecycle.shipmentDispatched(ctx.manager, event.data),
    );
  }

  @OnEvent('pharmacy.shipment.handed-over')
  async handedOver(
    @Payload() event: EventOfType<'pharmacy.shipment.handed-over'>,
    @Ctx() ctx: PlumbingContext,
  ): Promise<void> {
    await this.unknownOrders.unlessUnknown(event, () =>
      this.lifecycle.shipmentHandedOver(ctx.manager, event.data),
    );
  }

  /**
   * The topic's other types (`delivered`, `stopped`, `flagged`) change no order: it is completed at dispatch or hand-over, and a cancellation is this service's own decision. Taken and dropped, so they do not become dead letters (an unhandled type is one).
   */
  @OnTopic(Topics.pharmacyShipments.name)
  others(@Payload() _event: AnyEvent): void {
    // nothing to do: see above
  }
}
