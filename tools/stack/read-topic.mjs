#!/usr/bin/env node
// @ts-check
// Prints the newest records of a topic, for seeing webhooks land (README "See it happen"):
//   node tools/stack/read-topic.mjs [topic=rxscale.pharmacy-orders.v1] [count=5]
// Shows each record's key, headers and CloudEvent attributes; of an RxScale body only event_type,
// data.uid and data.status (the body holds invented patient data even in the demo: not printed).
import { createKafkaClient, silentLogger } from '@rxbridge/service-kit';

const topic = process.argv[2] ?? 'rxscale.pharmacy-orders.v1';
const count = Number(process.argv[3] ?? 5);
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const kafka = createKafkaClient({ clientId: 'rxbridge-read-topic', brokers, logger: silentLogger });
const admin = kafka.admin();
await admin.connect();
const offsets = await admin.fetchTopicOffsets(topic);
await admin.disconnect();
const total = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
if (total === 0) {
  console.log(`${topic} is empty`);
  process.exit(0);
}
/** @type {{ partition: number, offset: string, timestamp: string, key: string, headers: Record<string, string>, value: string }[]} */
const records = [];
const consumer = kafka.consumer({ groupId: `rxbridge-read-topic-${process.pid}-${Date.now()}` });
await consumer.connect();
await consumer.subscribe({ topic });
const wanted = offsets.map((p) => ({
  partition: p.partition,
  from: Math.max(Number(p.low), Number(p.high) - count),
  high: Number(p.high),
}));
const expected = wanted.reduce((n, w) => n + w.high - w.from, 0);
await new Promise((resolve) => {
  void consumer.run({
    eachMessage: async ({ partition, message }) => {
      records.push({
        partition,
        offset: message.offset,
        timestamp: message.timestamp,
        key: message.key?.toString() ?? '',
        headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        value: message.value?.toString() ?? '',
      });
      if (records.length >= expected) resolve(undefined);
    },
  });
  for (const w of wanted) consumer.seek({ topic, partition: w.partition, offset: String(w.from) });
});
await consumer.disconnect();
records.sort((a, b) => Number(a.timestamp) - Number(b.timestamp));
for (const r of records.slice(-count)) {
  const event = JSON.parse(r.value);
  const { data_base64: raw, ...attributes } = event;
  let body = {};
  if (typeof raw === 'string') {
    const envelope = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
    body = {
      event_type: envelope.event_type,
      timestamp: envelope.timestamp,
      'data.uid': envelope.data?.uid,
      'data.status': envelope.data?.status,
      bytes: Buffer.from(raw, 'base64').length,
    };
  }
  console.log(
    JSON.stringify(
      { partition: r.partition, offset: r.offset, key: r.key, headers: r.headers, attributes, body },
      null,
      2,
    ),
  );
}
process.exit(0);
