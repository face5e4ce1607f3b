import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Topics, type AnyEvent, type EventOfType } from '@rxbridge/contracts';
import { OnEvent, OnTopic, PlumbingContext } from '@rxbridge/service-kit';
import { OrderLifecycleService } from '../orders/order-lifecycle.service.js';
import { UnknownOrderEvents } from './unknown-order.js';

/**
 * inventory-service's answers (`pharmacy.inventory.v1`): reserved → in-progress; failed → the pharmacy's policy.
 * An answer about an order never stored here is counted and left alone (`UnknownOrderEvents`).
 */
@Controller()
export class StockEventsHandler {
  constructor(
    @Inject(OrderLifecycleService) private readonly lifecycle: OrderLifecycleService,
    @Inject(UnknownOrderEvents) private readonly unknownOrders: UnknownOrderEvents,
  ) {}

  @OnEvent('pharmacy.stock.reserved')
  async reserved(
    @Payload() event: EventOfType<'pharmacy.stock.reserved'>,
    @Ctx() ctx: PlumbingContext,
  ): Promise<void> {
    await this.unknownOrders.unlessUnknown(event, () =>
      this.lifecycle.stockReserved(ctx.manager, event.data),
    );
  }

  @OnEvent('pharmacy.stock.reservation-failed')
  async reservationFailed(
    @Payload() event: EventOfType<'pharmacy.stock.reservation-failed'>,
    @Ctx() ctx: PlumbingContext,
  ): Promise<void> {
    await this.unknownOrders.unlessUnknown(event, () =>
      this.lifecycle.reservationFailed(ctx.manager, event.data),
    );
  }

  /**
   * The topic's other types (`level-changed`, for the chain's other systems) change no order. Taken and dropped, so they do not become dead letters (an unhandled type is one).
   */
  @OnTopic(Topics.pharmacyInventory.name)
  others(@Payload() _event: AnyEvent): void {
    // nothing to do: see above
  }
}
