import { z } from 'zod';
import { CloudEventSchema } from './cloud-event.js';
import {
  isPharmacyEventType,
  isRxScaleEventType,
  PharmacyEvents,
  RxScaleEvents,
  RxScaleUnrecognized,
  type AnyEvent,
  type EventContract,
} from './event-catalog.js';
import { EventContractError, type EventContractErrorCode } from './event-contract-error.js';
import {
  decodeRxScaleEvent,
  type RxScaleCloudEvent,
  type RxScaleWebhookEnvelope,
} from './events/rxscale-events.js';

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

/** An EventContractError listing the zod issues (paths and rules, never values). */
export function invalid(
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
  if (value === null || value === undefined)
    return { ok: false, error: new EventContractError('empty_record', 'the record has no value') };
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
