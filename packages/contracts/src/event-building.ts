import { type z } from 'zod';
import { createCloudEvent } from './cloud-event.js';
import {
  isPharmacyEventType,
  isRxScaleEventType,
  PharmacyEvents,
  RxScaleEvents,
  RxScaleUnrecognized,
  type AnyEvent,
  type PharmacyEvent,
  type PharmacyEventData,
  type PharmacyEventType,
} from './event-catalog.js';
import { invalid } from './event-parsing.js';
import { type RxScaleCloudEvent } from './events/rxscale-events.js';
import { type TopicName } from './topic-catalog.js';

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
