import { type z } from 'zod';
import {
  isRxScaleEventType,
  RxScaleEvents,
  RxScaleUnrecognized,
  type EventContract,
} from './event-catalog.js';
import { EventContractError } from './event-contract-error.js';
import { invalid } from './event-parsing.js';
import {
  parseRxScaleWebhookBody,
  rxscaleCloudEventType,
  rxscaleDeliveryKey,
  type RxScaleCloudEvent,
  type RxScaleWebhookEnvelope,
} from './events/rxscale-events.js';
import { type TopicName } from './topic-catalog.js';

/** The gateway's hot path: a verified webhook body to the CloudEvent it stores (bench/gateway measures it). */

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
