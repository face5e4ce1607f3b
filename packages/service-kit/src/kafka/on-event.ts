import { EventPattern } from '@nestjs/microservices';
import {
  CloudEventSchema,
  isEventType,
  type AnyEvent,
  type EventOfType,
  type EventType,
} from '@rxbridge/contracts';
import { z } from 'zod';
import { type PlumbingContext } from './plumbing-context.js';
import { PLUMBING_TRANSPORT } from './plumbing-transport.js';

/**
 * An event type outside the contracts' registry, with its schema: for a test service, a benchmark, or a
 * type private to one service. It can never shadow a registry type, so production parsing stays the
 * registry's.
 */
export interface LocalEventContract<T extends string = string, E extends z.ZodType = z.ZodType> {
  readonly type: T;
  readonly event: E;
}

/** The parsed event a handler of a local contract receives. */
export type LocalEvent<C extends LocalEventContract> = z.output<C['event']>;

/** A local event type: a CloudEvent of exactly `type` whose `data` parses with `data`. */
export function defineLocalEvent<const T extends string, D extends z.ZodType>(type: T, data: D) {
  if (isEventType(type))
    throw new Error(`${type} is in the event registry: handle it with @OnEvent('${type}')`);
  const event = CloudEventSchema.omit({ data_base64: true }).extend({ type: z.literal(type), data });
  return { type, event } satisfies LocalEventContract<T, typeof event>;
}

/** What a handler's decorator leaves in Nest's handler `extras`, read by the record parser and at start. */
export interface PlumbingHandlerExtras {
  /** The schema of a local event type; absent for registry types and topic-wide handlers. */
  eventSchema?: z.ZodType;
  /** The handler takes every registry type of its topic. */
  topicWide?: boolean;
}

/**
 * A method decorator that only fits a handler accepting `E` (and, optionally, the PlumbingContext): a handler
 * declaring another event type does not compile.
 */
export type EventHandlerDecorator<E> = <M extends (event: E, ctx: PlumbingContext) => unknown>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => void;

/**
 * Binds a handler to one event type on the plumbing transport. The runtime parses the record with the type's
 * contract before the handler runs (the registry's for registry types, the local contract's otherwise); a
 * record that does not parse goes to `<group>.dlq` without reaching the handler.
 *
 *   @OnEvent('pharmacy.stock.reserved')
 *   handle(@Payload() event: EventOfType<'pharmacy.stock.reserved'>, @Ctx() ctx: PlumbingContext)
 */
export function OnEvent<T extends EventType>(type: T): EventHandlerDecorator<EventOfType<T>>;
export function OnEvent<C extends LocalEventContract>(contract: C): EventHandlerDecorator<LocalEvent<C>>;
export function OnEvent(typeOrContract: EventType | LocalEventContract): EventHandlerDecorator<never> {
  const extras: PlumbingHandlerExtras =
    typeof typeOrContract === 'string' ? {} : { eventSchema: typeOrContract.event };
  const type = typeof typeOrContract === 'string' ? typeOrContract : typeOrContract.type;
  return EventPattern<string>(type, PLUMBING_TRANSPORT, extras);
}

/**
 * The escape hatch: every registry event of a topic, whatever its type (the handler narrows on `type`). A
 * type-specific handler of the same group takes precedence for its type.
 */
export function OnTopic(topic: string): EventHandlerDecorator<AnyEvent> {
  const extras: PlumbingHandlerExtras = { topicWide: true };
  return EventPattern<string>(topic, PLUMBING_TRANSPORT, extras);
}
