import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { type EventOfType } from '@rxbridge/contracts';
import { OnEvent, PermanentError, PlumbingContext } from '@rxbridge/service-kit';
import { type PharmacyOrder } from '@rxbridge/rxscale-contract';
import { OrderIntake } from './order-intake.js';
import { orderOfWebhook } from './order-webhook.js';

/**
 * RxScale's order webhooks (`rxscale.pharmacy-orders.v1`), thin: decode the stored body, then the one path
 * every copy of an order takes in (`OrderIntake`, shared with the safety net).
 */
@Controller()
export class RxscaleOrdersHandler {
  constructor(@Inject(OrderIntake) private readonly intake: OrderIntake) {}

  /** A new order: its detail is fetched before anything is locked, then stored by `receive`. */
  @OnEvent('rxscale.pharmacy_order_created')
  async created(
    @Payload() event: EventOfType<'rxscale.pharmacy_order_created'>,
    @Ctx() ctx: PlumbingContext,
  ): Promise<void> {
    const data = webhookData(event);
    await this.intake.takeIn(ctx.manager, data, 'webhook');
  }

  /** A change: the webhook's data is the full order (API.md §11.6); fetched only when the order is unknown. */
  @OnEvent('rxscale.pharmacy_order_updated')
  async updated(
    @Payload() event: EventOfType<'rxscale.pharmacy_order_updated'>,
    @Ctx() ctx: PlumbingContext,
  ): Promise<void> {
    const data = webhookData(event);
    await this.intake.takeIn(ctx.manager, data, 'webhook');
  }
}

function webhookData(
  event: EventOfType<'rxscale.pharmacy_order_created' | 'rxscale.pharmacy_order_updated'>,
): PharmacyOrder {
  const read = orderOfWebhook(event);
  if (!read.ok) throw new PermanentError(read.error, 'invalid_webhook');
  return read.order;
}
