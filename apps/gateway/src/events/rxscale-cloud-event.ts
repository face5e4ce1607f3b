import { createHash } from 'node:crypto';
import { EventHeaders } from '@rxbridge/contracts';

/**
 * The record the gateway writes for one verified webhook: a CloudEvent (structured JSON) whose
 * `data_base64` is the exact body RxScale signed, so any consumer can re-verify or re-parse it byte for
 * byte. Seam to the contracts' rxscale.* builder (issue 3), swapped in when it lands.
 */
export interface ReceivedWebhook {
  rawBody: Buffer;
  eventType: string;
  /** Envelope `timestamp` (Unix seconds, API.md §4). */
  timestamp: number;
  uid: string | undefined;
  dedupKey: string;
  source: string;
  receivedAt: Date;
  traceparent: string;
}

/** Kafka header names the gateway sets besides EventHeaders. */
export const RxScaleHeaders = {
  eventType: 'rxscale-event-type',
  dedupKey: 'rxscale-dedup-key',
  source: 'rxscale-source',
  receivedAt: 'rxscale-received-at',
} as const;

export function rxscaleCloudEventRecord(w: ReceivedWebhook): {
  key: string | null;
  value: string;
  headers: Record<string, string>;
} {
  const event = {
    specversion: '1.0',
    // The hash of the signed bytes: a redelivery of the same event keeps its id, a distinct event never shares it.
    id: createHash('sha256').update(w.rawBody).digest('hex'),
    source: `/rxscale/webhooks/${w.source}`,
    type: `rxscale.${w.eventType}`,
    ...(w.uid ? { subject: w.uid } : {}),
    time: new Date(w.timestamp * 1000).toISOString(),
    datacontenttype: 'application/json',
    rxscaleeventtype: w.eventType,
    rxscalededupkey: w.dedupKey,
    rxscalesource: w.source,
    rxscalereceivedat: w.receivedAt.toISOString(),
    data_base64: w.rawBody.toString('base64'),
  };
  return {
    key: w.uid ?? null,
    value: JSON.stringify(event),
    headers: {
      [EventHeaders.contentType]: 'application/cloudevents+json',
      [EventHeaders.eventType]: event.type,
      [EventHeaders.traceparent]: w.traceparent,
      [RxScaleHeaders.eventType]: w.eventType,
      [RxScaleHeaders.dedupKey]: w.dedupKey,
      [RxScaleHeaders.source]: w.source,
      [RxScaleHeaders.receivedAt]: w.receivedAt.toISOString(),
    },
  };
}
