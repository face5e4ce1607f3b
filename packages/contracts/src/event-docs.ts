import { z } from 'zod';
import { ExampleEventData, ExampleWebhookBodies } from './event-examples.js';
import {
  allEventContracts,
  buildEvent,
  buildRxScaleEvent,
  EventSources,
  PharmacyEvents,
  RxScaleUnrecognized,
  type EventContract,
  type PharmacyEventType,
} from './event-registry.js';
import { RxScaleWebhookEnvelope } from './events/rxscale-events.js';
import { Topics, type TopicDefinition } from './topic-catalog.js';
import { CLOUDEVENTS_JSON_CONTENT_TYPE } from './cloud-event.js';

/**
 * Renders docs/events/ from the zod schemas: one JSON Schema (2020-12) per event type and one AsyncAPI 3.0
 * document. Pure and deterministic (no clock, no randomness), so a test can compare it with the committed files.
 */

export const GENERATE_COMMAND = 'node tools/cli.mjs pnpm --filter @rxbridge/contracts run generate';

export interface RenderedFile {
  /** Relative to docs/events/. */
  path: string;
  content: string;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function envelopeSchema(target: 'draft-2020-12' | 'draft-7') {
  const schema = z.toJSONSchema(RxScaleWebhookEnvelope, { target, io: 'input' }) as Record<string, unknown>;
  delete schema.$schema;
  return schema;
}

function isRxScaleContract(contract: EventContract): boolean {
  return contract.type.startsWith('rxscale.');
}

/** The CloudEvent JSON Schema of a type; for webhooks, `data_base64` describes the body it encodes. */
function eventJsonSchema(
  contract: EventContract,
  target: 'draft-2020-12' | 'draft-7',
): Record<string, unknown> {
  const schema = z.toJSONSchema(contract.event, { target, io: 'input' }) as Record<string, unknown>;
  if (isRxScaleContract(contract)) {
    const properties = schema.properties as Record<string, Record<string, unknown>>;
    const dataBase64 = properties.data_base64;
    if (dataBase64) {
      dataBase64.contentMediaType = 'application/json';
      if (target === 'draft-2020-12') dataBase64.contentSchema = envelopeSchema(target);
    }
  }
  return schema;
}

function schemaFile(contract: EventContract): RenderedFile {
  const generated = eventJsonSchema(contract, 'draft-2020-12');
  const { $schema, ...rest } = generated;
  return {
    path: `schemas/${contract.type}.json`,
    content: json({ $schema, $id: contract.dataschema, title: contract.type, ...rest }),
  };
}

const EXAMPLE_SOURCE_BY_TOPIC: Record<string, string> = {
  [Topics.pharmacyOrders.name]: EventSources.orderService,
  [Topics.pharmacyInventory.name]: EventSources.inventoryService,
  [Topics.pharmacyShipments.name]: EventSources.shippingService,
};

function exampleEvent(contract: EventContract): unknown {
  const id = '0b6c1f9e-5d4a-4c1e-9a53-2f1d7c0e8a41';
  if (Object.hasOwn(PharmacyEvents, contract.type)) {
    const type = contract.type as PharmacyEventType;
    return buildEvent(type, ExampleEventData[type] as never, {
      source: EXAMPLE_SOURCE_BY_TOPIC[contract.topic] ?? EventSources.gateway,
      id,
      time: new Date('2026-01-08T10:10:00.000Z'),
    });
  }
  const bodyName =
    contract.type === RxScaleUnrecognized.type ? 'unrecognized' : contract.type.slice('rxscale.'.length);
  const body = ExampleWebhookBodies[bodyName as keyof typeof ExampleWebhookBodies];
  const built = buildRxScaleEvent({
    rawBody: Buffer.from(body, 'utf8'),
    receivedAt: new Date('2026-01-08T10:10:00.250Z'),
    source: 'https://api.rxscale.com',
    id,
  });
  if (!built.ok) throw built.error;
  return built.event;
}

function channelIdOf(topic: TopicDefinition): string {
  const entry = Object.entries(Topics).find(([, t]) => t.name === topic.name);
  if (!entry) throw new Error(`topic ${topic.name} is not in the catalog`);
  return entry[0];
}

const HEADERS = {
  type: 'object',
  properties: {
    'content-type': {
      type: 'string',
      const: CLOUDEVENTS_JSON_CONTENT_TYPE,
      description: 'the value is a CloudEvent in structured mode (CloudEvents Kafka binding), JSON',
    },
    ce_type: { type: 'string', description: 'the CloudEvent type, to route without parsing the value' },
    traceparent: {
      type: 'string',
      description: 'W3C Trace Context of the record that caused this one',
      pattern: '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
    },
    correlationid: {
      type: 'string',
      description: 'the id that ties every record and RxScale call of one flow together',
    },
  },
};

function asyncApiDocument(): unknown {
  const contracts = allEventContracts();
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};

  for (const topic of Object.values(Topics) as TopicDefinition[]) {
    const channelId = channelIdOf(topic);
    const own = contracts.filter((c) => c.topic === topic.name);
    const channelMessages = Object.fromEntries(
      own.map((c) => [c.type, { $ref: `#/components/messages/${c.type}` }]),
    );
    channels[channelId] = {
      address: topic.name,
      title: topic.name,
      description: `${topic.description}. Record key: ${topic.key}.`,
      messages: channelMessages,
      'x-rxbridge-consumer-groups': topic.consumerGroups,
      bindings: {
        kafka: {
          topic: topic.name,
          partitions: topic.partitions,
          topicConfiguration: { 'cleanup.policy': [topic.cleanupPolicy], 'retention.ms': topic.retentionMs },
          bindingVersion: '0.5.0',
        },
      },
    };
    operations[`receive-${channelId}`] = {
      action: 'receive',
      title: `Read ${topic.name}`,
      channel: { $ref: `#/channels/${channelId}` },
      messages: own.map((c) => ({ $ref: `#/channels/${channelId}/messages/${c.type}` })),
    };
  }

  for (const contract of contracts) {
    const payload = eventJsonSchema(contract, 'draft-7');
    delete payload.$schema;
    messages[contract.type] = {
      name: contract.type,
      title: contract.type,
      summary: contract.description,
      contentType: 'application/cloudevents+json',
      headers: HEADERS,
      correlationId: { location: '$message.header#/correlationid' },
      payload,
      bindings: {
        kafka: {
          key: {
            type: 'string',
            description: Object.values(Topics).find((t) => t.name === contract.topic)?.key ?? '',
          },
          bindingVersion: '0.5.0',
        },
      },
      examples: [{ name: 'example', payload: exampleEvent(contract) }],
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'RxBridge events',
      version: '1.0.0',
      description: [
        "The Kafka topics RxBridge produces for a pharmacy chain's systems, and the RxScale webhooks it stores.",
        'Every record is a CloudEvents 1.0 event in structured JSON; `correlationid` and `traceparent` travel as headers.',
        'A v1 topic only ever gains optional fields: ignore fields you do not know.',
        'Events on pharmacy.* topics carry no patient data (names, addresses, e-mail, date of birth): ask the owning service.',
        'Events on rxscale.* topics carry the webhook body exactly as RxScale signed it (data_base64), patient data included;',
        'they are internal to RxBridge.',
        `Generated from packages/contracts by \`${GENERATE_COMMAND}\`; do not edit.`,
      ].join('\n'),
    },
    defaultContentType: 'application/cloudevents+json',
    servers: {
      local: { host: '127.0.0.1:9092', protocol: 'kafka', description: 'the local broker of `npm start`' },
    },
    channels,
    operations,
    components: { messages },
  };
}

function readme(): string {
  const rows = allEventContracts().map(
    (c) => `| \`${c.type}\` | \`${c.topic}\` | [schema](schemas/${c.type}.json) | ${c.description} |`,
  );
  return [
    '# RxBridge events',
    '',
    `Generated from \`packages/contracts\`; do not edit. Regenerate with \`${GENERATE_COMMAND}\`.`,
    '',
    '- [asyncapi.json](asyncapi.json): AsyncAPI 3.0 document of every topic and event type.',
    "- `schemas/<type>.json`: JSON Schema (2020-12) of each event, its `$id` equal to the event's `dataschema`.",
    '',
    'No event on a `pharmacy.*` topic carries patient data. `rxscale.*` topics are internal: they hold the raw webhook body.',
    '',
    '| type | topic | schema | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

export function renderEventDocs(): RenderedFile[] {
  return [
    { path: 'README.md', content: readme() },
    { path: 'asyncapi.json', content: json(asyncApiDocument()) },
    ...allEventContracts().map(schemaFile),
  ];
}
