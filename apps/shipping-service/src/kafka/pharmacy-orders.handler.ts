import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Topics, type AnyEvent, type EventOfType } from '@rxbridge/contracts';
import { OnEvent, OnTopic, PlumbingContext } from '@rxbridge/service-kit';
import { DELIVERY_ADDRESS_SOURCE, type DeliveryAddressSource } from '../shipments/delivery-address.js';
import { OrderFollowerService } from '../shipments/order-follower.service.js';

/**
 * pharmacy.orders.v1 → the order follower: remember the order at receipt, expect its shipment (or hand-over)
 * when ready, stop or flag it when cancelled. Each method runs in the record's transaction (`ctx.manager`).
 */
@Controller()
export class PharmacyOrdersHandler {
  constructor(
    private readonly follower: OrderFollowerService,
    @Inject(DELIVERY_ADDRESS_SOURCE) private readonly addresses: DeliveryAddressSource,
  ) {}

  @OnEvent('pharmacy.order.received')
  async received(
    @Payload() event: EventOfType<'pharmacy.order.received'>,
    @Ctx() ctx: PlumbingContext,
  ): Promise<void> {
    await this.follower.orderReceived(ctx.manager, event.data);
  }

  /**
   * The address is fetched only when the follower will keep it (an order that ships, not yet expected), and
   * inside the record's attempt: order-service unreachable throws a transient error, so the record is
   * retried and parked, never committed without the address.
   */
  @OnEvent('pharmacy.order.ready-for-pickup')
  async readyForPickup(
    @Payload() event: EventOfType<'pharmacy.order.ready-for-pickup'>,
    @Ctx() ctx: PlumbingContext,
  ): Promise<void> {
    const ready = event.data;
    const deliveryAddress = (await this.follower.wantsDeliveryAddress(ctx.manager, ready.pharmacy_order_uid))
      ? await this.addresses.deliveryAddressOf({
          pharmacyUid: ready.pharmacy_uid,
          pharmacyOrderUid: ready.pharmacy_order_uid,
        })
      : null;
    await this.follower.orderReady(ctx.manager, { ready, deliveryAddress });
  }

  @OnEvent('pharmacy.order.cancelled')
  async cancelled(
    @Payload() event: EventOfType<'pharmacy.order.cancelled'>,
    @Ctx() ctx: PlumbingContext,
  ): Promise<void> {
    await this.follower.orderCancelled(ctx.manager, event.data);
  }

  /**
   * The topic's other types (status changes, completion, refused transitions) change nothing here: the
   * shipment's story is told by ready and cancelled. Taken and dropped, so they do not become dead letters.
   */
  @OnTopic(Topics.pharmacyOrders.name)
  others(@Payload() _event: AnyEvent): void {
    // nothing to do: see above
  }
}
