import {
  buildEvent,
  eventRoute,
  EventSources,
  type PharmacyEventData,
  type PharmacyEventType,
} from '@rxbridge/contracts';
import { type PharmacyOrderStatus } from '@rxbridge/rxscale-contract';
import { type NewRxscaleCommand, type OutboxMessage } from '@rxbridge/service-kit';
import { type EntityManager } from 'typeorm';
import { ORDER_COMMAND_KINDS, ORDER_COMMAND_PRIORITIES } from '../rxscale/order-commands.js';
import { type LifecycleCommand, type LifecycleEvent } from './order-lifecycle.js';
import { type NewOrderLine, type OrderRepository, type OrderRow } from './order.repository.js';

// What a lifecycle step writes besides the order's own rows: its `pharmacy.orders.v1` events for the outbox
// and its RxScale commands for the command outbox, built from what the state machine decided. The service
// enqueues them in the step's transaction (enqueueEffects).

/** The outbox messages of a step's events (the state machine names them; this fills in their data). */
export async function stepMessages(
  orders: OrderRepository,
  manager: EntityManager,
  row: OrderRow,
  now: Date,
  events: readonly LifecycleEvent[],
): Promise<OutboxMessage[]> {
  const messages: OutboxMessage[] = [];
  const ids = { pharmacy_uid: row.pharmacy_uid, pharmacy_order_uid: row.pharmacy_order_uid };
  const at = now.toISOString();
  for (const e of events) {
    switch (e.type) {
      case 'pharmacy.order.status-changed':
        messages.push(
          orderMessage(e.type, now, {
            ...ids,
            from: e.from,
            to: e.to,
            initiator: e.initiator,
            ...(e.reason ? { reason: e.reason } : {}),
            changed_at: at,
          }),
        );
        break;
      case 'pharmacy.order.ready-for-pickup':
        messages.push(orderMessage(e.type, now, { ...ids, initiator: e.initiator, ready_at: at }));
        break;
      case 'pharmacy.order.completed':
        // RxScale's completion webhook can overtake the settlement of our complete_order: name the shipment either way
        messages.push(
          orderMessage(e.type, now, {
            ...ids,
            shipment_uid: e.shipmentUid ?? row.shipment_uid,
            completed_at: at,
          }),
        );
        break;
      case 'pharmacy.order.cancelled':
        messages.push(
          orderMessage(e.type, now, {
            ...ids,
            previous_status: e.previousStatus,
            initiator: e.initiator,
            ...(e.reason ? { reason: e.reason } : {}),
            cancelled_at: at,
          }),
        );
        break;
      case 'pharmacy.order.transition-refused':
        messages.push(
          orderMessage(e.type, now, {
            ...ids,
            from: e.from,
            requested: e.requested,
            refused_by: 'rxscale',
            reason: e.reason,
            rxscale_status_code: e.statusCode,
            refused_at: at,
          }),
        );
        break;
      case 'pharmacy.order.received':
        messages.push(await receivedMessage(orders, manager, row, e.status, now));
        break;
    }
  }
  return messages;
}

/** `pharmacy.order.received` with the stored lines: a retried first-seen order is taken in only now. */
async function receivedMessage(
  orders: OrderRepository,
  manager: EntityManager,
  row: OrderRow,
  status: PharmacyOrderStatus,
  now: Date,
): Promise<OutboxMessage> {
  const lines = await orders.lines(manager, row.pharmacy_order_uid);
  return orderMessage('pharmacy.order.received', now, receivedData(row, lines, status, now));
}

/** One `pharmacy.orders.v1` event as an outbox message, routed by its type. */
export function orderMessage<T extends PharmacyEventType>(
  type: T,
  now: Date,
  data: PharmacyEventData<T>,
): OutboxMessage {
  const event = buildEvent(type, data, { source: EventSources.orderService, time: now });
  const { topic, key } = eventRoute(event);
  return { topic, key, event };
}

/** The state machine's RxScale commands as command-outbox rows, under the pharmacy's key and priority. */
export function orderCommands(
  row: Pick<OrderRow, 'pharmacy_uid' | 'pharmacy_order_uid'>,
  commands: readonly LifecycleCommand[],
): NewRxscaleCommand[] {
  return commands.map((c) => ({
    kind: ORDER_COMMAND_KINDS[c.kind === 'order.status' ? 'status' : 'complete'],
    targetUid: row.pharmacy_order_uid,
    payload: c.payload,
    priority: ORDER_COMMAND_PRIORITIES[c.kind],
    pharmacyUid: row.pharmacy_uid,
  }));
}

/** `pharmacy.order.received`: the order and its lines as the other services need them. */
export function receivedData(
  row: Pick<
    OrderRow,
    'pharmacy_uid' | 'pharmacy_order_uid' | 'order_uid' | 'name' | 'priority' | 'delivery_type'
  >,
  lines: readonly NewOrderLine[],
  status: PharmacyOrderStatus,
  now: Date,
): PharmacyEventData<'pharmacy.order.received'> {
  return {
    pharmacy_uid: row.pharmacy_uid,
    pharmacy_order_uid: row.pharmacy_order_uid,
    order_uid: row.order_uid,
    name: row.name ?? row.pharmacy_order_uid,
    status,
    priority: row.priority,
    delivery_type: row.delivery_type,
    lines: lines.map((l) => ({
      order_item_uid: l.order_item_uid,
      sku_uid: l.sku_uid,
      pharmacy_sku_uid: l.pharmacy_sku_uid,
      external_id: l.external_id,
      pzn: l.pzn,
      quantity: l.quantity,
    })),
    received_at: now.toISOString(),
  };
}
