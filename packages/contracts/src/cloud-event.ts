import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
 * Every record on RxBridge's topics is a CloudEvents 1.0 event in structured JSON mode (DESIGN.md §3).
 * `correlationid` and the W3C `traceparent` travel as Kafka headers, not in the body.
 * Unknown attributes (CloudEvents extensions) are kept, so a v1 event only ever gains optional fields.
 */
export const CloudEventSchema = z.looseObject({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string().min(1),
  type: z.string().min(1),
  subject: z.string().min(1).optional(),
  time: z.iso.datetime({ offset: true }),
  datacontenttype: z.literal('application/json'),
  dataschema: z.string().min(1).optional(),
  /** The event's payload, for events RxBridge itself emits. */
  data: z.unknown().optional(),
  /** The exact bytes received (base64), for RxScale webhooks whose signature covers the raw body. */
  data_base64: z.string().optional(),
});
export type CloudEvent = z.infer<typeof CloudEventSchema>;

/**
 * The envelope's declared attributes without the index signature that `looseObject` adds. `Omit` over a type
 * with a string index signature keeps only the index signature (every `keyof` is `string`), so it has to be
 * removed before `data` is replaced.
 */
type DeclaredAttributes<E> = {
  [K in keyof E as string extends K ? never : number extends K ? never : K]: E[K];
};

/**
 * A CloudEvent whose `data` has been parsed with the schema of its type. It keeps every envelope attribute
 * typed, still accepts extensions, and is assignable to `CloudEvent`.
 */
export type TypedCloudEvent<T> = Omit<DeclaredAttributes<CloudEvent>, 'data'> & {
  data: T;
  [extension: string]: unknown;
};

export interface NewCloudEvent<T> {
  type: string;
  source: string;
  subject: string;
  data: T;
  dataschema?: string;
  id?: string;
  time?: Date;
}

export function createCloudEvent<T>(event: NewCloudEvent<T>): TypedCloudEvent<T> {
  return {
    specversion: '1.0',
    id: event.id ?? randomUUID(),
    source: event.source,
    type: event.type,
    subject: event.subject,
    time: (event.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    ...(event.dataschema ? { dataschema: event.dataschema } : {}),
    data: event.data,
  };
}

/**
 * Kafka headers the gateway sets on `rxscale.*` records besides EventHeaders, so consumers can route and
 * deduplicate without parsing the value. The dedup key is also the CloudEvent attribute `rxscaledeliverykey`.
 */
export const RxScaleEventHeaders = {
  eventType: 'rxscale-event-type',
  dedupKey: 'rxscale-dedup-key',
  source: 'rxscale-source',
  receivedAt: 'rxscale-received-at',
} as const;

/**
 * The `content-type` of every record: a CloudEvent in structured mode, JSON (CloudEvents Kafka binding §3.2),
 * so a CloudEvents SDK (`Kafka.toEvent` of the `cloudevents` package) reads the record as it is.
 */
export const CLOUDEVENTS_JSON_CONTENT_TYPE = 'application/cloudevents+json';

/** Kafka header names used on every record. */
export const EventHeaders = {
  correlationId: 'correlationid',
  traceparent: 'traceparent',
  contentType: 'content-type',
  eventType: 'ce_type',
} as const;
