import { deadLetterTopic, type TopicDefinition } from '@rxbridge/contracts';
import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { provisionTopics, waitForTopicLeaders } from '../src/index.js';
import { kafkaClient, uniqueSuffix } from '@rxbridge/testing';

describe(provisionTopics.name, () => {
  const kafka = kafkaClient();
  let admin: Admin;
  let topics: TopicDefinition[];

  beforeEach(async () => {
    admin = kafka.admin();
    await admin.connect();
    const id = uniqueSuffix();
    topics = [
      {
        name: `test.provision.orders.${id}`,
        key: 'order uid',
        partitions: 3,
        retentionMs: 86_400_000,
        cleanupPolicy: 'delete',
        maxMessageBytes: 2 * 1024 * 1024,
        consumerGroups: [],
        description: 'test',
      },
      { ...deadLetterTopic(`provision-${id}`), cleanupPolicy: 'compact' },
    ];
  });
  afterEach(async () => {
    const existing = new Set(await admin.listTopics());
    const created = topics.map((t) => t.name).filter((name) => existing.has(name));
    if (created.length > 0) await admin.deleteTopics({ topics: created });
    await admin.disconnect();
  });

  it('creates missing topics with their partitions, retention, cleanup policy and record size limit', async () => {
    const report = await provisionTopics(admin, topics, { replicationFactor: 1 });
    expect(report).toEqual({
      created: topics.map((t) => t.name),
      existing: [],
      reconfigured: [],
      mismatches: [],
    });
    const metadata = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
    const partitions = Object.fromEntries(metadata.topics.map((t) => [t.name, t.partitions.length]));
    expect(partitions).toEqual(Object.fromEntries(topics.map((t) => [t.name, t.partitions])));
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((t) => ({
        type: ConfigResourceTypes.TOPIC,
        name: t.name,
        configNames: ['retention.ms', 'cleanup.policy', 'max.message.bytes'],
      })),
    });
    for (const t of topics) {
      const entries = configs.resources.find((r) => r.resourceName === t.name)!.configEntries;
      expect(Object.fromEntries(entries.map((e) => [e.configName, e.configValue]))).toEqual({
        'retention.ms': String(t.retentionMs),
        'cleanup.policy': t.cleanupPolicy,
        // The broker's default (1 MiB + record overhead) where the catalog sets no limit.
        'max.message.bytes': String(t.maxMessageBytes ?? 1048588),
      });
    }
  });

  it('changes nothing on a second run and reports a partition count that differs', async () => {
    await provisionTopics(admin, topics, { replicationFactor: 1 });
    const again = await provisionTopics(admin, topics, { replicationFactor: 1 });
    expect(again).toEqual({
      created: [],
      existing: topics.map((t) => t.name),
      reconfigured: [],
      mismatches: [],
    });

    const changed = topics.map((t, i) => (i === 0 ? { ...t, partitions: 6 } : t));
    const report = await provisionTopics(admin, changed, { replicationFactor: 1 });
    expect(report.mismatches).toEqual([
      { topic: topics[0]!.name, problem: 'has 3 partitions, the catalog says 6' },
    ]);
    const metadata = await admin.fetchTopicMetadata({ topics: [topics[0]!.name] });
    expect(metadata.topics[0]!.partitions).toHaveLength(3);
  });

  it("brings an existing topic's settings to the catalog's, such as a raised record size limit", async () => {
    const [orders] = topics;
    await provisionTopics(admin, [{ ...orders!, maxMessageBytes: undefined, retentionMs: 3_600_000 }], {
      replicationFactor: 1,
    });
    const report = await provisionTopics(admin, [orders!], { replicationFactor: 1 });
    expect(report.reconfigured).toEqual([orders!.name]);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: orders!.name,
          configNames: ['retention.ms', 'max.message.bytes'],
        },
      ],
    });
    const entries = Object.fromEntries(
      configs.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]),
    );
    expect(entries).toEqual({
      'retention.ms': String(orders!.retentionMs),
      'max.message.bytes': String(orders!.maxMessageBytes),
    });
    // Settled: nothing to change on the next run.
    expect((await provisionTopics(admin, [orders!], { replicationFactor: 1 })).reconfigured).toEqual([]);
  });

  it('refuses a bad definition before creating anything', async () => {
    const bad = [topics[0]!, { ...topics[1]!, partitions: 0 }];
    await expect(provisionTopics(admin, bad)).rejects.toThrow(/partitions must be a positive integer/);
    await expect(provisionTopics(admin, [topics[0]!, topics[0]!])).rejects.toThrow(/declared twice/);
    await expect(provisionTopics(admin, [{ ...topics[0]!, name: 'bad name!' }])).rejects.toThrow(
      /invalid topic name/,
    );
    expect(await admin.listTopics()).not.toContain(topics[0]!.name);
  });
});

describe(waitForTopicLeaders.name, () => {
  const kafka = kafkaClient();
  let waiter: Admin;
  let creator: Admin;
  let name: string;

  beforeEach(async () => {
    // The waiter asks for a topic that does not exist yet, which kafkajs then keeps asking about: an admin
    // of its own, so no other test inherits that.
    waiter = kafka.admin();
    creator = kafka.admin();
    await Promise.all([waiter.connect(), creator.connect()]);
    name = `test.leaders.${uniqueSuffix()}`;
  });
  afterEach(async () => {
    if ((await creator.listTopics()).includes(name)) await creator.deleteTopics({ topics: [name] });
    await Promise.all([waiter.disconnect(), creator.disconnect()]);
  });

  it('keeps waiting while the broker does not know the topic yet, and returns once it has its leaders', async () => {
    const waiting = waitForTopicLeaders(waiter, [{ name, partitions: 3 }], { timeoutMs: 20_000 });
    let settled = false;
    void waiting.finally(() => (settled = true)).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(settled).toBe(false);
    await creator.createTopics({
      waitForLeaders: false,
      topics: [{ topic: name, numPartitions: 3, replicationFactor: 1 }],
    });
    await waiting;
    const metadata = await creator.fetchTopicMetadata({ topics: [name] });
    expect(metadata.topics[0]!.partitions.map((p) => p.leader >= 0)).toEqual([true, true, true]);
  });

  it('gives up with a message that names what it waited for', async () => {
    await expect(waitForTopicLeaders(waiter, [{ name, partitions: 1 }], { timeoutMs: 400 })).rejects.toThrow(
      /^topics created, but no metadata \(UNKNOWN_TOPIC_OR_PARTITION\) after 400 ms; is every broker up\?$/,
    );
  });
});
