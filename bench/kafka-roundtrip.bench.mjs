// @ts-check
// Baseline of the local broker on this machine: keyed records produced with acks=all by an idempotent
// producer, consumed by a group with committed offsets. Every later benchmark stands on these figures.
import { randomBytes } from 'node:crypto';
import { createKafkaClient, silentLogger } from '@rxbridge/service-kit';
import { report } from './report.mjs';
import { brokers, createTopics } from '@rxbridge/testing';

const total = Number(process.argv[2] ?? 50_000);
const batch = 500;
const valueBytes = 1024;
const kafka = createKafkaClient({ clientId: 'bench-roundtrip', brokers, logger: silentLogger });
const topic = `bench.roundtrip.${randomBytes(4).toString('hex')}`;
const admin = kafka.admin();
await admin.connect();
await createTopics(admin, [{ name: topic, partitions: 6 }]);

const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
const value = randomBytes(valueBytes / 2).toString('hex');
const sentAt = new Map();
const produceStart = performance.now();
for (let i = 0; i < total; i += batch) {
  const messages = [];
  for (let j = i; j < Math.min(total, i + batch); j++)
    messages.push({ key: `k${j % 1000}`, value, headers: { seq: String(j) } });
  sentAt.set(i, performance.now());
  await producer.send({ topic, acks: -1, messages });
}
const produceSeconds = (performance.now() - produceStart) / 1000;

const consumer = kafka.consumer({ groupId: `${topic}-group` });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
let received = 0;
const consumeStart = performance.now();
await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`timed out after ${received} of ${total}`)), 120_000);
  void consumer.run({
    partitionsConsumedConcurrently: 6,
    eachBatch: async ({ batch: b, resolveOffset, commitOffsetsIfNecessary }) => {
      for (const m of b.messages) {
        received++;
        resolveOffset(m.offset);
      }
      await commitOffsetsIfNecessary();
      if (received >= total) {
        clearTimeout(timer);
        resolve(undefined);
      }
    },
  });
});
const consumeSeconds = (performance.now() - consumeStart) / 1000;
await consumer.disconnect();
await producer.disconnect();
await admin.deleteTopics({ topics: [topic] });
await admin.disconnect();

report(
  'kafka-roundtrip',
  {
    records: total,
    produceRecordsPerSecond: Math.round(total / produceSeconds),
    consumeRecordsPerSecond: Math.round(total / consumeSeconds),
    received,
  },
  { allReceived: { figure: 'received', atLeast: total } },
  { brokers, partitions: 6, batch, valueBytes, acks: 'all', idempotent: true },
);
