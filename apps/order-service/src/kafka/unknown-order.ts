import { Inject, Injectable } from '@nestjs/common';
import { type ServiceLogger } from '@rxbridge/service-kit';
import { OrderMetrics } from '../metrics/order-metrics.js';
import { ORDER_SERVICE_LOGGER } from '../order-service.logger.js';
import { OrderError } from '../orders/order.errors.js';

/**
 * Runs the step an inventory or shipping event asks for; when the event names an order this deployment never
 * stored, counts it and leaves it alone instead of dead-lettering it. Such an event cannot be about one of ours:
 * inventory and shipping act only on `pharmacy.order.*` events, which this service publishes in the transaction
 * that stores the order. It is another deployment's on a shared broker (docs/design.md "Events about orders
 * never stored here"); a dead letter would be noise that no replay could ever settle.
 */
@Injectable()
export class UnknownOrderEvents {
  constructor(
    @Inject(OrderMetrics) private readonly metrics: OrderMetrics,
    @Inject(ORDER_SERVICE_LOGGER) private readonly logger: ServiceLogger,
  ) {}

  async unlessUnknown(
    event: { type: string; data: { pharmacy_order_uid: string } },
    step: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await step();
    } catch (err) {
      if (!(err instanceof OrderError) || err.code !== 'order_not_found') throw err;
      this.metrics.eventsForUnknownOrders.inc({ type: event.type });
      this.logger.warn(
        { eventType: event.type, pharmacyOrderUid: event.data.pharmacy_order_uid },
        'event about an order this deployment never stored: left alone',
      );
    }
  }
}
