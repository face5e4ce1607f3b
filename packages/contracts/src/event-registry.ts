import { z } from 'zod';
import { CloudEventSchema, createCloudEvent } from './cloud-event.js';
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
  decodeRxScaleEvent,
  parseRxScaleWebhookBody,
  rxscaleCloudEventType,
  rxscaleDeliveryKey,
  RxScalePharmacyOrderCreatedEvent,
  RxScalePharmacyOrderUpdatedEvent,
  RxScalePharmacySkuStockUpdatedEvent,
  RxScaleUnrecognizedEvent,
  type RxScaleCloudEvent,
  type RxScaleWebhookEnvelope,
} from './events/rxscale-events.js';
import {
  ShipmentDispatched,
  ShipmentFlagged,
  ShipmentRecorded,
  ShipmentStopped,
} from './events/shipment-events.js';
import { Topics, type TopicName } from './topic-catalog.js';

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

/** The CloudEvent of one of RxBridge's own types: structured JSON, `data` parsed with the type's schema. */
function pharmacyEventSchema<const T extends string, D extends z.ZodType<{ pharmacy_uid: string }>>(
  type: T,
  data: D,
) {
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

function define<const T extends string, D extends z.ZodType<{ pharmacy_uid: string }>>(
  type: T,
  topic: TopicName,
  data: D,
  key: (data: z.output<D>) => string,
) {
  return {
    type,
    topic,
    data,
    event: pharmacyEventSchema(type, data),
    dataschema: dataschemaUri(type),
    key,
    description: descriptionOf(data),
  };
}

const byOrder = (d: { pharmacy_order_uid: string }) => d.pharmacy_order_uid;

/** RxBridge's own events: type → topic, payload schema, CloudEvent schema, dataschema URI, record key. */
export const PharmacyEvents = {
  'pharmacy.order.received': define(
    'pharmacy.order.received',
    Topics.pharmacyOrders.name,
    OrderReceived,
    byOrder,
  ),
  'pharmacy.order.status-changed': define(
    'pharmacy.order.status-changed',
    Topics.pharmacyOrders.name,
    OrderStatusChanged,
    byOrder,
  ),
  'pharmacy.order.ready-for-pickup': define(
    'pharmacy.order.ready-for-pickup',
    Topics.pharmacyOrders.name,
    OrderReadyForPickup,
    byOrder,
  ),
  'pharmacy.order.completed': define(
    'pharmacy.order.completed',
    Topics.pharmacyOrders.name,
    OrderCompleted,
    byOrder,
  ),
  'pharmacy.order.cancelled': define(
    'pharmacy.order.cancelled',
    Topics.pharmacyOrders.name,
    OrderCancelled,
    byOrder,
  ),
  'pharmacy.order.transition-refused': define(
    'pharmacy.order.transition-refused',
    Topics.pharmacyOrders.name,
    OrderTransitionRefused,
    byOrder,
  ),
  'pharmacy.stock.level-changed': define(
    'pharmacy.stock.level-changed',
    Topics.pharmacyInventory.name,
    StockLevelChanged,
    (d) => skuKey(d.pharmacy_uid, d),
  ),
  'pharmacy.stock.reserved': define(
    'pharmacy.stock.reserved',
    Topics.pharmacyInventory.name,
    StockReserved,
    byOrder,
  ),
  'pharmacy.stock.reservation-failed': define(
    'pharmacy.stock.reservation-failed',
    Topics.pharmacyInventory.name,
    StockReservationFailed,
    byOrder,
  ),
  'pharmacy.stock.released': define(
    'pharmacy.stock.released',
    Topics.pharmacyInventory.name,
    StockReleased,
    byOrder,
  ),
  'pharmacy.stock.deducted': define(
    'pharmacy.stock.deducted',
    Topics.pharmacyInventory.name,
    StockDeducted,
    byOrder,
  ),
  'pharmacy.shipment.recorded': define(
    'pharmacy.shipment.recorded',
    Topics.pharmacyShipments.name,
    ShipmentRecorded,
    byOrder,
  ),
  'pharmacy.shipment.dispatched': define(
    'pharmacy.shipment.dispatched',
    Topics.pharmacyShipments.name,
    ShipmentDispatched,
    byOrder,
  ),
  'pharmacy.shipment.stopped': define(
    'pharmacy.shipment.stopped',
    Topics.pharmacyShipments.name,
    ShipmentStopped,
    byOrder,
  ),
  'pharmacy.shipment.flagged': define(
    'pharmacy.shipment.flagged',
    Topics.pharmacyShipments.name,
    ShipmentFlagged,
    byOrder,
  ),
} as const;

export type PharmacyEventType = keyof typeof PharmacyEvents;
export type PharmacyEventData<T extends PharmacyEventType> = z.output<(typeof PharmacyEvents)[T]['data']>;
/** A parsed event of RxBridge's own; narrow on `type` to get its `data`. */
export type PharmacyEvent<T extends PharmacyEventType = PharmacyEventType> = {
  [K in T]: z.output<(typeof PharmacyEvents)[K]['event']>;
}[T];

function defineRxScale<const T extends string>(type: T, topic: TopicName, event: z.ZodType) {
  return { type, topic, event, dataschema: dataschemaUri(type), description: descriptionOf(event) };
}

/** RxScale's webhooks as stored by the gateway; keyed by data.uid (= the CloudEvent subject). */
export const RxScaleEvents = {
  'rxscale.pharmacy_order_created': defineRxScale(
    'rxscale.pharmacy_order_created',
    Topics.rxscalePharmacyOrders.name,
    RxScalePharmacyOrderCreatedEvent,
  ),
  'rxscale.pharmacy_order_updated': defineRxScale(
    'rxscale.pharmacy_order_updated',
    Topics.rxscalePharmacyOrders.name,
    RxScalePharmacyOrderUpdatedEvent,
  ),
  'rxscale.pharmacy_sku_stock_updated': defineRxScale(
    'rxscale.pharmacy_sku_stock_updated',
    Topics.rxscalePharmacySkus.name,
    RxScalePharmacySkuStockUpdatedEvent,
  ),
} as const;
export type RxScaleEventType = keyof typeof RxScaleEvents;

/** Webhooks of any other type: one schema for the whole topic, whatever their `type`. */
export const RxScaleUnrecognized = defineRxScale(
  'rxscale.unrecognized',
  Topics.rxscaleUnrecognized.name,
  RxScaleUnrecognizedEvent,
);

export type EventType = PharmacyEventType | RxScaleEventType;
export type AnyEvent = PharmacyEvent | RxScaleCloudEvent;

export interface EventContract {
  type: string;
  topic: TopicName;
  event: z.ZodType;
  dataschema: string;
  description: string;
}

/** Every contract, including the catch-all of `rxscale.unrecognized.v1`, for documentation and provisioning. */
export function allEventContracts(): EventContract[] {
  return [...Object.values(RxScaleEvents), RxScaleUnrecognized, ...Object.values(PharmacyEvents)];
}

export function isPharmacyEventType(type: string): type is PharmacyEventType {
  return Object.hasOwn(PharmacyEvents, type);
}

/** Narrows a parsed event to one type, with its `data` typed. */
export function isEventOfType<T extends PharmacyEventType>(
  event: AnyEvent,
  type: T,
): event is PharmacyEvent<T> {
  return event.type === type;
}

export function isRxScaleEventType(type: string): type is RxScaleEventType {
  return Object.hasOwn(RxScaleEvents, type);
}

export type EventContractErrorCode =
  'invalid_json' | 'invalid_envelope' | 'unknown_type' | 'wrong_topic' | 'invalid_event' | 'invalid_webhook';

/**
 * A record or a new event that breaks its contract. Permanent by nature: the consumer runtime sends the
 * record to the DLQ. Messages name paths and rules, never the offending values (they may be patient data).
 */
export class EventContractError extends Error {
  override readonly name = 'EventContractError';
  constructor(
    readonly code: EventContractErrorCode,
    message: string,
    readonly eventType?: string,
    readonly issues: readonly z.core.$ZodIssue[] = [],
  ) {
    super(message);
  }
}

export type ParseEventResult =
  | {
      ok: true;
      event: AnyEvent;
      /** For `rxscale.*` events: the decoded body, checked against the event's attributes. */
      webhook?: { envelope: RxScaleWebhookEnvelope; rawBody: Buffer };
    }
  | { ok: false; error: EventContractError };

function readJson(value: unknown): { ok: true; json: unknown } | { ok: false } {
  if (typeof value === 'string' || value instanceof Uint8Array) {
    try {
      const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
      return { ok: true, json: JSON.parse(text) };
    } catch {
      return { ok: false };
    }
  }
  return { ok: true, json: value };
}

function invalid(
  code: EventContractErrorCode,
  what: string,
  error: z.ZodError,
  type?: string,
): EventContractError {
  return new EventContractError(code, `${what}:\n${z.prettifyError(error)}`, type, error.issues);
}

/**
 * Parses a Kafka record value (bytes, string, or already-parsed JSON) into a typed event. Never throws.
 * Pass the topic the record came from: a known type on the wrong topic is refused, and on
 * `rxscale.unrecognized.v1` any `rxscale.*` type is accepted.
 */
export function parseEvent(value: unknown, options: { topic?: string } = {}): ParseEventResult {
  const read = readJson(value);
  if (!read.ok)
    return { ok: false, error: new EventContractError('invalid_json', 'the record value is not valid JSON') };
  const envelope = CloudEventSchema.safeParse(read.json);
  if (!envelope.success) {
    return {
      ok: false,
      error: invalid('invalid_envelope', 'the record is not a CloudEvent', envelope.error),
    };
  }
  const type = envelope.data.type;
  let contract: EventContract;
  if (options.topic === RxScaleUnrecognized.topic) contract = RxScaleUnrecognized;
  else if (isPharmacyEventType(type)) contract = PharmacyEvents[type];
  else if (isRxScaleEventType(type)) contract = RxScaleEvents[type];
  else
    return { ok: false, error: new EventContractError('unknown_type', `unknown event type "${type}"`, type) };

  if (options.topic !== undefined && options.topic !== contract.topic) {
    return {
      ok: false,
      error: new EventContractError(
        'wrong_topic',
        `${type} belongs on ${contract.topic}, not on ${options.topic}`,
        type,
      ),
    };
  }
  const parsed = contract.event.safeParse(read.json);
  if (!parsed.success)
    return { ok: false, error: invalid('invalid_event', `invalid ${type} event`, parsed.error, type) };
  const event = parsed.data as AnyEvent;
  if (!isPharmacyEventType(type)) {
    // A stored webhook is only usable if its body decodes and agrees with its attributes: find out here, where
    // a failure is a permanent, dead-letterable contract error, rather than in the handler.
    const decoded = decodeRxScaleEvent(event as RxScaleCloudEvent);
    if (!decoded.ok)
      return { ok: false, error: new EventContractError('invalid_event', decoded.error, type) };
    return { ok: true, event, webhook: { envelope: decoded.envelope, rawBody: decoded.rawBody } };
  }
  return { ok: true, event };
}

export interface BuildEventOptions {
  /** CloudEvents source of the producer, e.g. EventSources.orderService. */
  source: string;
  id?: string;
  time?: Date;
}

/**
 * Creates one of RxBridge's own events and validates it before returning, so nothing invalid reaches the
 * outbox. Unknown keys in `data` are dropped by the schema (patient data cannot slip through an extra field).
 * Throws EventContractError('invalid_event') on invalid data: that is a bug in the producer.
 */
export function buildEvent<T extends PharmacyEventType>(
  type: T,
  data: PharmacyEventData<T>,
  options: BuildEventOptions,
): PharmacyEvent<T> {
  const contract = PharmacyEvents[type] as unknown as {
    data: z.ZodType;
    event: z.ZodType;
    dataschema: string;
    key: (d: unknown) => string;
  };
  const parsedData = contract.data.safeParse(data);
  if (!parsedData.success) throw invalid('invalid_event', `invalid ${type} data`, parsedData.error, type);
  const payload = parsedData.data as { pharmacy_uid: string };
  const event = {
    ...createCloudEvent({
      type,
      source: options.source,
      subject: contract.key(payload),
      data: payload,
      dataschema: contract.dataschema,
      ...(options.id ? { id: options.id } : {}),
      ...(options.time ? { time: options.time } : {}),
    }),
    pharmacyuid: payload.pharmacy_uid,
  };
  const parsed = contract.event.safeParse(event);
  if (!parsed.success) throw invalid('invalid_event', `invalid ${type} event`, parsed.error, type);
  return parsed.data as PharmacyEvent<T>;
}

/** Where an event goes: its topic and record key (DESIGN.md §3). */
export function eventRoute(event: AnyEvent): { topic: TopicName; key: string } {
  if (isPharmacyEventType(event.type)) {
    const contract = PharmacyEvents[event.type] as unknown as {
      topic: TopicName;
      key: (d: unknown) => string;
    };
    return { topic: contract.topic, key: contract.key((event as PharmacyEvent).data) };
  }
  const topic = isRxScaleEventType(event.type) ? RxScaleEvents[event.type].topic : RxScaleUnrecognized.topic;
  return { topic, key: (event as RxScaleCloudEvent).subject };
}

export interface ReceivedWebhook {
  /** The request body exactly as received; the signature was checked on these bytes. */
  rawBody: Buffer;
  receivedAt: Date;
  /** CloudEvents source, e.g. the RxScale host the webhook came from. */
  source: string;
  /** X-Webhook-Signature, when it should be kept for re-verification. */
  signature?: string;
  subscription?: string;
  id?: string;
}

export type BuildRxScaleEventResult =
  | { ok: true; event: RxScaleCloudEvent; topic: TopicName; key: string; envelope: RxScaleWebhookEnvelope }
  | { ok: false; error: EventContractError };

function pharmacyUidOf(data: Record<string, unknown>): string | undefined {
  // Orders carry `pharmacy: {uid}`, SKU events (assumed shape, API.md §11.6) `pharmacy: "<uid>"`.
  const pharmacy = data.pharmacy;
  if (typeof pharmacy === 'string' && pharmacy.length > 0) return pharmacy;
  if (pharmacy && typeof pharmacy === 'object') {
    const uid = (pharmacy as { uid?: unknown }).uid;
    if (typeof uid === 'string' && uid.length > 0) return uid;
  }
  return undefined;
}

const builtWebhookSchemas = new WeakMap<z.ZodType, z.ZodType>();

/**
 * The event schema without its `data_base64` check, for events built here: `data_base64` is
 * `rawBody.toString('base64')` (base64 by construction, non-empty because the body parsed as JSON), and
 * checking it again runs a regex over every byte of the body on the gateway's hot path (bench/gateway).
 * parseEvent still checks it in full on read.
 */
function builtWebhookSchema(contract: EventContract): z.ZodType {
  let schema = builtWebhookSchemas.get(contract.event);
  if (!schema) {
    schema = (contract.event as z.ZodObject).omit({ data_base64: true });
    builtWebhookSchemas.set(contract.event, schema);
  }
  return schema;
}

/**
 * What the gateway stores for a verified webhook: the CloudEvent carrying the raw body, and the topic and key
 * it goes to (known types to their topic, others to rxscale.unrecognized.v1). Never throws.
 */
export function buildRxScaleEvent(webhook: ReceivedWebhook): BuildRxScaleEventResult {
  const decoded = parseRxScaleWebhookBody(webhook.rawBody);
  if (!decoded.ok) return { ok: false, error: new EventContractError('invalid_webhook', decoded.error) };
  const { envelope } = decoded;
  const type = rxscaleCloudEventType(envelope.event_type);
  const contract: EventContract = isRxScaleEventType(type) ? RxScaleEvents[type] : RxScaleUnrecognized;
  const pharmacyuid = pharmacyUidOf(envelope.data);
  const candidate = {
    specversion: '1.0',
    id: webhook.id ?? crypto.randomUUID(),
    source: webhook.source,
    type,
    subject: envelope.data.uid,
    time: new Date(envelope.timestamp * 1000).toISOString(),
    datacontenttype: 'application/json',
    dataschema: contract.dataschema,
    data_base64: webhook.rawBody.toString('base64'),
    rxscaleeventtype: envelope.event_type,
    rxscaledeliverykey: rxscaleDeliveryKey(envelope),
    receivedat: webhook.receivedAt.toISOString(),
    ...(webhook.signature ? { rxscalesignature: webhook.signature.trim().toLowerCase() } : {}),
    ...(webhook.subscription ? { rxscalesubscription: webhook.subscription } : {}),
    ...(pharmacyuid ? { pharmacyuid } : {}),
  };
  const { data_base64, ...checked } = candidate;
  const parsed = builtWebhookSchema(contract).safeParse(checked);
  if (!parsed.success) {
    return {
      ok: false,
      error: invalid('invalid_webhook', `the webhook cannot be stored as ${type}`, parsed.error, type),
    };
  }
  // The attributes in their usual order, data_base64 in its place (the stored JSON reads the same as before).
  const validated = parsed.data as Record<string, unknown>;
  const event: Record<string, unknown> = {};
  for (const key of Object.keys(candidate)) event[key] = key === 'data_base64' ? data_base64 : validated[key];
  for (const key of Object.keys(validated)) if (!(key in event)) event[key] = validated[key];
  return {
    ok: true,
    event: event as RxScaleCloudEvent,
    topic: contract.topic,
    key: envelope.data.uid,
    envelope,
  };
}
