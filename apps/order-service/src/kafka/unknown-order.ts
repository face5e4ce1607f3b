import { type ServiceLogger } from '@rxbridge/service-kit';
import { OrderMetrics } from '../metrics/order-metrics.js';
import { OrderError } from '../orders/order.errors.js';

/**
 * Runs the step an inventory or shipping event asks for; when the event names an order this deployment never
 * stored, counts it and leaves it alone instead of dead-lettering it. Such an event cannot be about one of ours:
 * inventory and shipping act only on `pharmacy.order.*` events, which this service publishes in the transaction
 * that stores the order. It is another deployment's on a shared broker (docs/design.md "Events about orders we
 * never stored"); a dead letter would be noise that no replay could ever settle.
 */
export async function unlessUnknownOrder(
  deps: { metrics: OrderMetrics; logger: ServiceLogger },
  event: { type: string; data: { pharmacy_order_uid: string } },
  step: () => Promise<unknown>,
): Promise<void> {
  try {
    await step();
  } catch (err) {
    if (!(err instanceof OrderError) || err.code !== 'order_not_found') throw err;
    deps.metrics.eventsForUnknownOrders.inc({ type: event.type });
    deps.logger.warn(
      { eventType: event.type, pharmacyOrderUid: event.data.pharmacy_order_uid },
      'event about an order this deployment never stored: left alone',
    );
  }
}
