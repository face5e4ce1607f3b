import { type MessageHandler } from '@nestjs/microservices';
import {
  CloudEventSchema,
  EventContractError,
  isEventType,
  parseEvent,
  type CloudEvent,
} from '@rxbridge/contracts';
import { type PlumbingHandlerExtras } from './on-event.js';
import { type ReceivedRecord } from './received-record.js';

export type ParsedRecord =
  { ok: true; event: CloudEvent; handler: MessageHandler } | { ok: false; error: EventContractError };

/** Finds the handler of a pattern (an event type or a topic); the server's `getHandlerByPattern`. */
export type HandlerLookup = (pattern: string) => MessageHandler | null;

/**
 * Turns a record into the typed event its handler takes, or the contract error it is dead-lettered with.
 * The handler is the one of the event's type, else the topic-wide one; the event is parsed with the
 * handler's local contract if it has one, else with the contracts' registry (which also refuses a known
 * type on the wrong topic). Never throws.
 */
export function parseRecord(record: ReceivedRecord, findHandler: HandlerLookup): ParsedRecord {
  if (record.value === null)
    return { ok: false, error: new EventContractError('empty_record', 'record has no value') };
  let json: unknown;
  try {
    json = JSON.parse(record.value.toString('utf8'));
  } catch {
    return { ok: false, error: new EventContractError('invalid_json', 'record value is not JSON') };
  }
  const envelope = CloudEventSchema.safeParse(json);
  if (!envelope.success) {
    const fields = envelope.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    return {
      ok: false,
      error: new EventContractError('invalid_envelope', `record is not a valid CloudEvent (${fields})`),
    };
  }
  const type = envelope.data.type;
  const handler = findHandler(type) ?? findHandler(record.topic);
  if (!handler) {
    return {
      ok: false,
      error: new EventContractError('unknown_type', `no handler for event type "${type}"`, type),
    };
  }
  const localSchema = (handler.extras as PlumbingHandlerExtras | undefined)?.eventSchema;
  if (localSchema) {
    const parsed = localSchema.safeParse(json);
    if (!parsed.success) {
      const fields = parsed.error.issues
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ');
      return {
        ok: false,
        error: new EventContractError(
          'invalid_event',
          `invalid ${type} event (${fields})`,
          type,
          parsed.error.issues,
        ),
      };
    }
    return { ok: true, event: parsed.data as CloudEvent, handler };
  }
  const parsed = parseEvent(json, { topic: record.topic });
  if (!parsed.ok) return parsed;
  return { ok: true, event: parsed.event, handler };
}

/**
 * Checks the handlers at start: each takes a registry type, a local contract, or (topic-wide) one of the
 * consumer's topics. A handler that could never receive a parsed event stops the start instead of
 * dead-lettering every record of its type.
 */
export function handlerProblems(
  handlers: Iterable<[string, MessageHandler]>,
  topics: readonly string[],
): string[] {
  const problems: string[] = [];
  for (const [pattern, handler] of handlers) {
    const extras = handler.extras as PlumbingHandlerExtras | undefined;
    if (extras?.eventSchema) continue;
    if (extras?.topicWide) {
      if (!topics.includes(pattern))
        problems.push(`topic-wide handler for "${pattern}", which is not consumed`);
      continue;
    }
    if (!isEventType(pattern) && !topics.includes(pattern))
      problems.push(
        `handler for "${pattern}", a type outside the event registry: declare it with defineLocalEvent`,
      );
  }
  return problems;
}
