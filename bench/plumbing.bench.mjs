// @ts-check
// The whole event path of a service: records consumed → inbox + handler + outbox row in one transaction
// → offset commit → outbox relay → Kafka (acks=all, idempotent) → a downstream consumer. Prints events per
// second end to end, and the relay's delay from the outbox insert (inside the committing transaction) to
// Kafka's acknowledgement.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { CloudEventSchema, createCloudEvent } from '@rxbridge/contracts';
import {
  OutboxRelay,
  PlumbingServer,
  createKafkaClient,
  createServiceDataSource,
  defineLocalEvent,
  enqueueEvent,
  migrateServiceSchema,
  plumbingMigrations,
  silentLogger,
} from '@rxbridge/service-kit';
import { logLevel } from 'kafkajs';
import { report } from './report.mjs';
import { brokers, createTopics, databaseUrl } from '@rxbridge/testing';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const total = Number(process.argv[2] ?? 5_000);
const keys = 500;
const partitions = 6;
const concurrency = 6;
const relayBatch = 500;
const id = randomBytes(4).toString('hex');
const schema = `bench_plumbing_${id}`;
const inTopic = `bench.plumbing.in.${id}`;
const outTopic = `bench.plumbing.out.${id}`;
const group = `bench-plumbing-${id}`;

class CreateBenchOrders1790000002000 {
  name = 'CreateBenchOrders1790000002000';
  /** @param {import('typeorm').QueryRunner} q */
  async up(q) {
    await q.query('CREATE TABLE bench_order (uid text PRIMARY KEY, events integer NOT NULL)');
  }
  async down() {}
}

const kafka = createKafkaClient({ clientId: 'bench-plumbing', brokers, logger: silentLogger });
// The benchmark's own type, outside the event registry; its data is not checked (as before the registry parse).
const BenchOrderUpdated = defineLocalEvent('bench.order.updated', CloudEventSchema.shape.data);
const admin = kafka.admin();
await admin.connect();
await createTopics(
  admin,
  [inTopic, outTopic, `${group}.dlq`].map((name) => ({
    name,
    partitions: name.endsWith('.dlq') ? 1 : partitions,
  })),
);

const dataSource = createServiceDataSource({
  url: databaseUrl,
  schema,
  migrations: [...plumbingMigrations, CreateBenchOrders1790000002000],
  poolSize: 12,
});
await dataSource.initialize();
await migrateServiceSchema(dataSource);

// The input: RxScale-like events keyed by order uid, produced before the service starts.
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
for (let i = 0; i < total; i += 500) {
  const messages = [];
  for (let j = i; j < Math.min(total, i + 500); j++) {
    const key = `po_${j % keys}`;
    messages.push({
      key,
      value: JSON.stringify(
        createCloudEvent({
          type: 'bench.order.updated',
          source: '/bench',
          subject: key,
          data: { uid: key, n: j },
        }),
      ),
    });
  }
  await producer.send({ topic: inTopic, acks: -1, messages });
}
await producer.disconnect();

/** @type {number[]} */
const delays = [];
/** @type {number[]} */
const insertDelays = [];
// commit time (epoch ms) of the transaction that enqueued each output event, keyed by output event id
/** @type {Map<string, number>} */
const committedAt = new Map();
/** @type {Map<string, string>} input event id → output event id */
const outputOf = new Map();
const server = new PlumbingServer({
  kafka: { brokers, clientId: 'bench-plumbing-consumer', logLevel: logLevel.NOTHING },
  groupId: group,
  topics: [inTopic],
  dataSource,
  partitionsConsumedConcurrently: concurrency,
  afterCommit: (_record, event) => {
    const out = outputOf.get(event.id);
    if (out) committedAt.set(out, Date.now());
  },
});
let firstHandledAt = 0;
let lastHandledAt = 0;
server.addHandler(
  'bench.order.updated',
  /** @param {any} event @param {any} ctx */
  async (event, ctx) => {
    firstHandledAt ||= performance.now();
    await ctx.manager.query(
      'INSERT INTO bench_order (uid, events) VALUES ($1, 1) ON CONFLICT (uid) DO UPDATE SET events = bench_order.events + 1',
      [event.data.uid],
    );
    lastHandledAt = performance.now();
    const output = createCloudEvent({
      type: 'bench.order.changed',
      source: '/bench',
      subject: event.data.uid,
      data: { uid: event.data.uid, cause: event.id },
    });
    outputOf.set(event.id, output.id);
    await enqueueEvent(ctx.manager, { topic: outTopic, key: event.data.uid, event: output });
  },
  true,
  { eventSchema: BenchOrderUpdated.event },
);
const relay = new OutboxRelay({
  dataSource,
  kafka: { brokers, clientId: 'bench-plumbing-relay', logLevel: logLevel.NOTHING },
  batchSize: relayBatch,
  observer: {
    outboxPublished: (info) => {
      insertDelays.push(...info.delaysMs);
      for (const id of info.eventIds) {
        const at = committedAt.get(id);
        // a row can be published before afterCommit ran for its record: the commit preceded the ack anyway
        if (at !== undefined) delays.push(Math.max(0, info.ackedAt - at));
      }
    },
  },
});

// Downstream: counts distinct events, as an inbox would.
const seen = new Set();
let arrivals = 0;
let lastArrivalAt = 0;
const downstream = kafka.consumer({ groupId: `${group}-downstream` });
await downstream.connect();
await downstream.subscribe({ topic: outTopic, fromBeginning: true });
await downstream.run({
  partitionsConsumedConcurrently: partitions,
  eachBatch: async ({ batch }) => {
    for (const m of batch.messages) {
      arrivals++;
      seen.add(JSON.parse(String(m.value)).id);
    }
    lastArrivalAt = performance.now();
  },
});

await relay.start();
await server.start();
const deadline = Date.now() + 300_000;
while (seen.size < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
const seconds = (lastArrivalAt - firstHandledAt) / 1000;

await server.close();
await relay.stop();
await downstream.disconnect();
const [{ effects }] = await dataSource.query(
  'SELECT coalesce(sum(events), 0)::int AS effects FROM bench_order',
);
const [{ inbox }] = await dataSource.query('SELECT count(*)::int AS inbox FROM inbox');
await dataSource.query(`DROP SCHEMA "${schema}" CASCADE`);
await dataSource.destroy();
await admin.deleteTopics({ topics: [inTopic, outTopic, `${group}.dlq`] });
await admin.deleteGroups([group, `${group}-downstream`]).catch(() => undefined);
await admin.disconnect();

/** @param {number[]} values @param {number} p */
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
};
report(
  'plumbing',
  {
    events: total,
    eventsPerSecond: Math.round(seen.size / seconds),
    handledPerSecond: Math.round(total / ((lastHandledAt - firstHandledAt) / 1000)),
    // from the enqueueing transaction's commit to Kafka's acknowledgement of the published record
    relayDelayP50Ms: percentile(delays, 50),
    relayDelayP99Ms: percentile(delays, 99),
    relayDelaysMeasured: delays.length,
    // from the row's insert (inside that transaction) to the ack: adds the rest of the transaction
    insertToAckP50Ms: percentile(insertDelays, 50),
    insertToAckP99Ms: percentile(insertDelays, 99),
    arrived: seen.size,
    duplicateArrivals: arrivals - seen.size,
    effects,
    inboxRows: inbox,
  },
  {
    allArrived: { figure: 'arrived', atLeast: total },
    everyEffectOnce: { figure: 'effects', atLeast: total, atMost: total },
  },
  {
    brokers,
    partitions,
    partitionsConsumedConcurrently: concurrency,
    keys,
    relayBatch,
    acks: 'all',
    idempotent: true,
    dbPool: 12,
    recordsPerTransaction: 20,
    loadAverage1m: Math.round(os.loadavg()[0] * 100) / 100,
  },
);
