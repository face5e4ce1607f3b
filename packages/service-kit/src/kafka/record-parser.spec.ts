import { type MessageHandler } from '@nestjs/microservices';
import {
  buildEvent,
  createCloudEvent,
  EventSources,
  ExampleEventData,
  Topics,
  type EventOfType,
} from '@rxbridge/contracts';
import { z } from 'zod';
import { defineLocalEvent, OnEvent } from './on-event.js';
import { type PlumbingContext } from './plumbing-context.js';
import { type ReceivedRecord } from './received-record.js';
import { handlerProblems, parseRecord, type HandlerLookup } from './record-parser.js';

const TestNoted = defineLocalEvent('test.noted', z.object({ note: z.string() }));

/** A handler as Nest registers it: a function with its decorator's extras. */
function handler(extras: Record<string, unknown> = {}): MessageHandler {
  return Object.assign(() => Promise.resolve(), {
    isEventHandler: true,
    extras,
  });
}

function lookup(handlers: Record<string, MessageHandler>): HandlerLookup {
  return (pattern) => handlers[pattern] ?? null;
}

function received(value: unknown, topic: string = Topics.pharmacyInventory.name): ReceivedRecord {
  const bytes =
    value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  return { topic, partition: 0, offset: '0', key: 'k', value: bytes, headers: {} };
}

const reserved = buildEvent('pharmacy.stock.reserved', ExampleEventData['pharmacy.stock.reserved'], {
  source: EventSources.inventoryService,
});

describe(parseRecord.name, () => {
  const handlers = lookup({
    'pharmacy.stock.reserved': handler(),
    'test.noted': handler({ eventSchema: TestNoted.event }),
  });

  describe('records that never reach a handler', () => {
    it.each([
      ['a record without a value', received(null), 'empty_record'],
      ['a value that is not JSON', received('{"specversion": '), 'invalid_json'],
      ['JSON that is no CloudEvent', received({ hello: 'world' }), 'invalid_envelope'],
      [
        'a type no handler takes',
        received(createCloudEvent({ type: 'test.other', source: '/t', subject: 's', data: {} })),
        'unknown_type',
      ],
      [
        'a registry type whose data breaks its schema',
        received({ ...reserved, data: { ...reserved.data, lines: 'none' } }),
        'invalid_event',
      ],
      [
        'a registry type on a topic not its own',
        received(reserved, Topics.pharmacyOrders.name),
        'wrong_topic',
      ],
      [
        'a local type whose data breaks its contract',
        received(createCloudEvent({ type: 'test.noted', source: '/t', subject: 's', data: { note: 7 } })),
        'invalid_event',
      ],
    ])('refuses %s as a permanent contract error (%s)', (_what, record, code) => {
      const parsed = parseRecord(record, handlers);
      expect(parsed.ok || [parsed.error.code, parsed.error.permanent]).toEqual([code, true]);
    });
  });

  it('hands a registry type its parsed event, with the handler of its type', () => {
    const parsed = parseRecord(received(reserved), handlers);
    expect(parsed.ok && parsed.event).toEqual(reserved);
  });

  it('parses a local type with its own contract, dropping keys the contract does not know', () => {
    const event = createCloudEvent({
      type: 'test.noted',
      source: '/t',
      subject: 's',
      data: { note: 'hi', extra: 1 },
    });
    const parsed = parseRecord(received(event, 'test.topic'), handlers);
    expect(parsed.ok && parsed.event.data).toEqual({ note: 'hi' });
  });

  it('falls back to a topic-wide handler, which still gets registry-parsed events only', () => {
    const topicWide = lookup({ [Topics.pharmacyInventory.name]: handler({ topicWide: true }) });
    expect(parseRecord(received(reserved), topicWide).ok).toBe(true);
    const foreign = createCloudEvent({ type: 'test.other', source: '/t', subject: 's', data: {} });
    const parsed = parseRecord(received(foreign), topicWide);
    expect(parsed.ok || parsed.error.code).toBe('unknown_type');
  });
});

describe(handlerProblems.name, () => {
  it('accepts registry types, local contracts and topic-wide handlers of consumed topics', () => {
    const handlers: [string, MessageHandler][] = [
      ['pharmacy.stock.reserved', handler()],
      ['test.noted', handler({ eventSchema: TestNoted.event })],
      ['in.topic', handler({ topicWide: true })],
    ];
    expect(handlerProblems(handlers, ['in.topic'])).toEqual([]);
  });

  it('names a handler of an unregistered type and a topic-wide handler of a topic not consumed', () => {
    const problems = handlerProblems(
      [
        ['test.unregistered', handler()],
        ['other.topic', handler({ topicWide: true })],
      ],
      ['in.topic'],
    );
    expect(problems).toEqual([
      expect.stringContaining('test.unregistered'),
      expect.stringContaining('other.topic'),
    ]);
  });
});

describe(defineLocalEvent.name, () => {
  it('refuses to shadow a type of the event registry', () => {
    expect(() => defineLocalEvent('pharmacy.stock.reserved', z.object({}))).toThrow(/event registry/);
  });
});

// Compile-time checks (typecheck runs over this file): a handler must accept the event type it declares.
export class TypedHandlers {
  @OnEvent('pharmacy.stock.reserved')
  reserved(event: EventOfType<'pharmacy.stock.reserved'>, ctx: PlumbingContext): string {
    return `${event.data.pharmacy_order_uid}${ctx.record.offset}`;
  }

  // @ts-expect-error: the handler takes another type than the one it declares
  @OnEvent('pharmacy.stock.released')
  mismatched(event: EventOfType<'pharmacy.stock.reserved'>): string {
    return event.data.pharmacy_order_uid;
  }

  @OnEvent(TestNoted)
  noted(event: z.output<typeof TestNoted.event>): string {
    return event.data.note;
  }
}
