import { z } from 'zod';
import { CloudEventSchema } from './cloud-event.js';
import { skuKey, Uid } from './events/event-parts.js';
import {
  StockDeducted,
  StockLevelChanged,
  StockReleased,
  StockReservationFailed,
  StockReserved,
} from './events/inventory-events.js';
import {
  OrderCancelled,
  OrderCompleted,
  OrderReadyForPickup,
  OrderReceived,
  OrderStatusChanged,
  OrderTransitionRefused,
} from './events/order-events.js';
import {
  RxScalePharmacyOrderCreatedEvent,
  RxScalePharmacyOrderUpdatedEvent,
  RxScalePharmacySkuStockUpdatedEvent,
  RxScaleUnrecognizedEvent,
  type RxScaleCloudEvent,
} from './events/rxscale-events.js';
import {
  ShipmentDelivered,
  ShipmentDispatched,
  ShipmentFlagged,
  ShipmentHandedOver,
  ShipmentRecorded,
  ShipmentStopped,
} from './events/shipment-events.js';
import { Topics, type TopicName } from './topic-catalog.js';

/**
 * The event catalog as data: every event type once, with its topic, payload schema and record key. The
 * CloudEvent schema, dataschema URI and description of each entry are derived from it. Parsing is in
 * event-parsing.ts, building in event-building.ts and webhook-event-building.ts.
 */

/** The `dataschema` attribute of an event type: names the JSON Schema generated into docs/events/schemas/. */
export function dataschemaUri(type: string): string {
  return `urn:rxbridge:event:${type}:v1`;
}

/** Suggested CloudEvents `source` values, one per producer. */
export const EventSources = {
  gateway: '/rxbridge/gateway',
  orderService: '/rxbridge/order-service',
  inventoryService: '/rxbridge/inventory-service',
  shippingService: '/rxbridge/shipping-service',
} as const;

function descriptionOf(schema: z.ZodType): string {
  return z.globalRegistry.get(schema)?.description ?? '';
}

type PharmacyData = z.ZodType<{ pharmacy_uid: string }>;

/** The CloudEvent of one of RxBridge's own types: structured JSON, `data` parsed with the type's schema. */
function pharmacyEventSchema<const T extends string, D extends PharmacyData>(type: T, data: D) {
  return CloudEventSchema.omit({ data_base64: true })
    .extend({
      type: z.literal(type),
      subject: Uid,
      dataschema: z.string().min(1),
      data,
      pharmacyuid: Uid.describe('CloudEvents extension: the pharmacy, equal to data.pharmacy_uid'),
    })
    .refine((e) => e.pharmacyuid === (e.data as { pharmacy_uid: string }).pharmacy_uid, {
      message: 'pharmacyuid must equal data.pharmacy_uid',
      path: ['pharmacyuid'],
    })
    .meta({ description: descriptionOf(data) });
}

/** One catalog entry of RxBridge's own events; the type is the entry's key. */
interface PharmacyEntry<D extends PharmacyData> {
  topic: TopicName;
  data: D;
  /** The record key (and CloudEvent subject) of an event, from its data. A method, so entries stay assignable. */
  key(this: void, data: z.output<D>): string;
}

function entry<D extends PharmacyData>(
  topic: TopicName,
  data: D,
  key: (data: z.output<D>) => string,
): PharmacyEntry<D> {
  return { topic, data, key };
}

export interface PharmacyEventContract<T extends string, D extends PharmacyData> extends PharmacyEntry<D> {
  type: T;
  event: ReturnType<typeof pharmacyEventSchema<T, D>>;
  dataschema: string;
  description: string;
}

function definePharmacyEvents<C extends Record<string, PharmacyEntry<PharmacyData>>>(
  catalog: C,
): { [T in keyof C & string]: PharmacyEventContract<T, C[T]['data']> } {
  return Object.fromEntries(
    Object.entries(catalog).map(([type, { topic, data, key }]) => [
      type,
      {
        type,
        topic,
        data,
        event: pharmacyEventSchema(type, data),
        dataschema: dataschemaUri(type),
        key,
        description: descriptionOf(data),
      },
    ]),
  ) as { [T in keyof C & string]: PharmacyEventContract<T, C[T]['data']> };
}

const byOrder = (d: { pharmacy_order_uid: string }) => d.pharmacy_order_uid;
const orders = Topics.pharmacyOrders.name;
const inventory = Topics.pharmacyInventory.name;
const shipments = Topics.pharmacyShipments.name;

/** RxBridge's own events: type → topic, payload schema, CloudEvent schema, dataschema URI, record key. */
export const PharmacyEvents = definePharmacyEvents({
  'pharmacy.order.received': entry(orders, OrderReceived, byOrder),
  'pharmacy.order.status-changed': entry(orders, OrderStatusChanged, byOrder),
  'pharmacy.order.ready-for-pickup': entry(orders, OrderReadyForPickup, byOrder),
  'pharmacy.order.completed': entry(orders, OrderCompleted, byOrder),
  'pharmacy.order.cancelled': entry(orders, OrderCancelled, byOrder),
  'pharmacy.order.transition-refused': entry(orders, OrderTransitionRefused, byOrder),
  'pharmacy.stock.level-changed': entry(inventory, StockLevelChanged, (d) => skuKey(d.pharmacy_uid, d)),
  'pharmacy.stock.reserved': entry(inventory, StockReserved, byOrder),
  'pharmacy.stock.reservation-failed': entry(inventory, StockReservationFailed, byOrder),
  'pharmacy.stock.released': entry(inventory, StockReleased, byOrder),
  'pharmacy.stock.deducted': entry(inventory, StockDeducted, byOrder),
  'pharmacy.shipment.recorded': entry(shipments, ShipmentRecorded, byOrder),
  'pharmacy.shipment.dispatched': entry(shipments, ShipmentDispatched, byOrder),
  'pharmacy.shipment.stopped': entry(shipments, ShipmentStopped, byOrder),
  'pharmacy.shipment.flagged': entry(shipments, ShipmentFlagged, byOrder),
  'pharmacy.shipment.handed-over': entry(shipments, ShipmentHandedOver, byOrder),
  'pharmacy.shipment.delivered': entry(shipments, ShipmentDelivered, byOrder),
});

export type PharmacyEventType = keyof typeof PharmacyEvents;
export type PharmacyEventData<T extends PharmacyEventType> = z.output<(typeof PharmacyEvents)[T]['data']>;
/** A parsed event of RxBridge's own; narrow on `type` to get its `data`. */
export type PharmacyEvent<T extends PharmacyEventType = PharmacyEventType> = {
  [K in T]: z.output<(typeof PharmacyEvents)[K]['event']>;
}[T];

export interface EventContract {
  type: string;
  topic: TopicName;
  event: z.ZodType;
  dataschema: string;
  description: string;
}

function defineRxScale<const T extends string, E extends z.ZodType>(type: T, topic: TopicName, event: E) {
  return { type, topic, event, dataschema: dataschemaUri(type), description: descriptionOf(event) };
}

function defineRxScaleEvents<C extends Record<string, { topic: TopicName; event: z.ZodType }>>(
  catalog: C,
): { [T in keyof C & string]: ReturnType<typeof defineRxScale<T, C[T]['event']>> } {
  return Object.fromEntries(
    Object.entries(catalog).map(([type, { topic, event }]) => [type, defineRxScale(type, topic, event)]),
  ) as { [T in keyof C & string]: ReturnType<typeof defineRxScale<T, C[T]['event']>> };
}

/** RxScale's webhooks as stored by the gateway; keyed by data.uid (= the CloudEvent subject). */
export const RxScaleEvents = defineRxScaleEvents({
  'rxscale.pharmacy_order_created': {
    topic: Topics.rxscalePharmacyOrders.name,
    event: RxScalePharmacyOrderCreatedEvent,
  },
  'rxscale.pharmacy_order_updated': {
    topic: Topics.rxscalePharmacyOrders.name,
    event: RxScalePharmacyOrderUpdatedEvent,
  },
  'rxscale.pharmacy_sku_stock_updated': {
    topic: Topics.rxscalePharmacySkus.name,
    event: RxScalePharmacySkuStockUpdatedEvent,
  },
});
export type RxScaleEventType = keyof typeof RxScaleEvents;

/** Webhooks of any other type: one schema for the whole topic, whatever their `type`. */
export const RxScaleUnrecognized = defineRxScale(
  'rxscale.unrecognized',
  Topics.rxscaleUnrecognized.name,
  RxScaleUnrecognizedEvent,
);

export type EventType = PharmacyEventType | RxScaleEventType;
export type AnyEvent = PharmacyEvent | RxScaleCloudEvent;

/**
 * The parsed event a consumer of `type` receives: one of RxBridge's own events with its `data` typed, or a
 * stored RxScale webhook.
 */
export type EventOfType<T extends EventType> = T extends PharmacyEventType
  ? PharmacyEvent<T>
  : RxScaleCloudEvent;

/** Every contract, including the catch-all of `rxscale.unrecognized.v1`, for documentation and provisioning. */
export function allEventContracts(): EventContract[] {
  return [...Object.values(RxScaleEvents), RxScaleUnrecognized, ...Object.values(PharmacyEvents)];
}

export function isPharmacyEventType(type: string): type is PharmacyEventType {
  return Object.hasOwn(PharmacyEvents, type);
}

export function isRxScaleEventType(type: string): type is RxScaleEventType {
  return Object.hasOwn(RxScaleEvents, type);
}

/** Whether a type is in the catalog (RxBridge's own or a known RxScale webhook). */
export function isEventType(type: string): type is EventType {
  return isPharmacyEventType(type) || isRxScaleEventType(type);
}

/** Narrows a parsed event to one type, with its `data` typed. */
export function isEventOfType<T extends PharmacyEventType>(
  event: AnyEvent,
  type: T,
): event is Extract<AnyEvent, { type: T }> {
  return event.type === type;
}
