// The local broker really works for what RxBridge needs: explicit topics, keyed produce with acks=all,
// a consumer group that commits offsets and resumes from them.
import { waitForTopicLeaders } from '@rxbridge/service-kit';
import { deleteGroups, deleteTopics, kafkaClient, uniqueSuffix, uniqueTopicName } from '@rxbridge/testing';

const kafka = kafkaClient('stack-test');

/**
 * Consumes until `count` messages arrived, committing each offset after handling it.
 * @param {string} topic @param {string} groupId @param {number} count
 */
async function consume(topic, groupId, count) {
  const consumer = kafka.consumer({ groupId });
  /** @type {{ key: string, value: string, partition: number }[]} */
  const seen = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${seen.length} of ${count} messages arrived`)),
      30_000,
    );
    void consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic: t, partition, message }) => {
        seen.push({ key: String(message.key), value: String(message.value), partition });
        await consumer.commitOffsets([{ topic: t, partition, offset: String(Number(message.offset) + 1) }]);
        if (seen.length >= count) {
          clearTimeout(timer);
          resolve(undefined);
        }
      },
    });
  });
  await consumer.disconnect();
  return seen;
}

describe('the local Kafka broker', () => {
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const topic = uniqueTopicName('stack');
  const groupId = `stack-test-${uniqueSuffix()}`;

  beforeAll(async () => {
    await admin.connect();
    await producer.connect();
  });
  afterAll(async () => {
    await deleteTopics(admin, [topic]);
    await deleteGroups(admin, [groupId]);
    await producer.disconnect();
    await admin.disconnect();
  });

  it('creates a topic, produces keyed records with acks=all and consumes them in a group with committed offsets', async () => {
    expect(
      await admin.createTopics({
        topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
        waitForLeaders: false,
      }),
    ).toBe(true);
    await waitForTopicLeaders(admin, [{ name: topic, partitions: 3 }]);
    const messages = Array.from({ length: 30 }, (_, i) => ({ key: `order-${i % 5}`, value: `event-${i}` }));
    await producer.send({ topic, acks: -1, messages });

    const seen = await consume(topic, groupId, messages.length);
    expect(seen.map((m) => m.value).sort()).toEqual(messages.map((m) => m.value).sort());
    // One key always lands on one partition, in the order it was produced.
    for (let k = 0; k < 5; k++) {
      const forKey = seen.filter((m) => m.key === `order-${k}`);
      expect(new Set(forKey.map((m) => m.partition)).size).toBe(1);
      expect(forKey.map((m) => m.value)).toEqual(
        messages.filter((m) => m.key === `order-${k}`).map((m) => m.value),
      );
    }

    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const total = committed?.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(total).toBe(messages.length);

    // The group resumes after its committed offsets: only what was produced since arrives.
    await producer.send({ topic, acks: -1, messages: [{ key: 'order-9', value: 'after-restart' }] });
    const resumed = await consume(topic, groupId, 1);
    expect(resumed.map((m) => m.value)).toEqual(['after-restart']);
  });

  it('refuses to produce to a topic nobody created (auto-creation is off)', async () => {
    const missing = uniqueTopicName('stack-missing');
    const strict = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 1 } });
    await strict.connect();
    try {
      await expect(strict.send({ topic: missing, messages: [{ value: 'x' }] })).rejects.toThrow(
        /partition|topic/i,
      );
      const topics = await admin.listTopics();
      expect(topics).not.toContain(missing);
    } finally {
      await strict.disconnect();
    }
  });
});
