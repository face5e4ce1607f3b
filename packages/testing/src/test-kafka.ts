import { Kafka, logLevel, type Admin, type ITopicConfig } from 'kafkajs';
import { brokers as configuredBrokers } from './local-stack.js';
import { uniqueSuffix } from './unique-name.js';
import { waitFor } from './wait-for.js';

// kafkajs warns once per process that its default partitioner changed in v2; tests know.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

/** A kafkajs client on the tests' brokers that logs nothing (tests assert on outcomes, not on logs). */
export function kafkaClient(clientId = 'rxbridge-test', brokers: string[] = configuredBrokers): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING });
}

/** `test.<base>.<suffix>`: a topic (or group) name no other test file uses. */
export function uniqueTopicName(base: string): string {
  return `test.${base}.${uniqueSuffix()}`;
}

export interface TestTopic {
  name: string;
  partitions?: number;
  configEntries?: ITopicConfig['configEntries'];
}

/**
 * Creates the topics explicitly (the local broker does not create topics on first use) and waits for their
 * leaders, so a test can produce at once. kafkajs's own `waitForLeaders` gives up when the broker's metadata
 * lags behind its controller for a moment (UNKNOWN_TOPIC_OR_PARTITION, kafkajs#1222), so this polls instead.
 */
export async function createTopics(admin: Admin, topics: TestTopic[]): Promise<void> {
  await admin.createTopics({
    waitForLeaders: false,
    topics: topics.map((t) => ({
      topic: t.name,
      numPartitions: t.partitions ?? 1,
      replicationFactor: 1,
      ...(t.configEntries ? { configEntries: t.configEntries } : {}),
    })),
  });
  await waitFor(
    async () => {
      const { topics: described } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
      return topics.every((t) => {
        const partitions = described.find((d) => d.name === t.name)?.partitions ?? [];
        return partitions.length > 0 && partitions.every((p) => p.leader >= 0);
      });
    },
    `leaders for ${topics.map((t) => t.name).join(', ')}`,
  );
}

/** Deletes those of `topics` that exist (kafkajs retries a while on a topic that does not). */
export async function deleteTopics(admin: Admin, topics: string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  if (present.length > 0) await admin.deleteTopics({ topics: present });
}

/** Deletes those of `groupIds` that exist; a group that never joined or is already gone is no error. */
export async function deleteGroups(admin: Admin, groupIds: string[]): Promise<void> {
  const { groups } = await admin.listGroups();
  const known = new Set(groups.map((g) => g.groupId));
  const present = groupIds.filter((g) => known.has(g));
  if (present.length > 0) await admin.deleteGroups(present);
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Commits the current end of `topics` as the offsets of `groupId`, a group nobody consumes in yet, so that a
 * service started in it afterwards reads only what is produced from now on, not what earlier runs left on a
 * shared broker's catalog topics. Resolves with the committed offsets, read back from the broker.
 *
 * One consumer joins the group, commits the ends and leaves: a join takes tens of milliseconds, where
 * `admin.setOffsets` joins and fetches once per topic (about 5 s each). The consumer's fetch long-poll is kept
 * short because leaving waits for the fetch in flight (5 s with kafkajs's default). A topic just created may
 * answer "not the leader" for a moment: its ends are asked for again until `timeoutMs`.
 */
export async function startGroupAtEnd(
  kafka: Kafka,
  groupId: string,
  topics: readonly string[],
  { timeoutMs = 60_000 }: { timeoutMs?: number } = {},
): Promise<CommittedOffset[]> {
  const deadline = Date.now() + timeoutMs;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [described] = (await admin.describeGroups([groupId])).groups;
    if (described && described.members.length > 0)
      throw new Error(`group ${groupId} has ${described.members.length} member(s): it is not new`);
    const ends = (
      await Promise.all(
        topics.map(async (topic) => {
          for (;;) {
            try {
              const parts = await admin.fetchTopicOffsets(topic);
              return parts.map((p) => ({ topic, partition: p.partition, offset: p.high }));
            } catch (error) {
              if (!(error as { retriable?: boolean }).retriable || Date.now() > deadline) throw error;
              await new Promise((r) => setTimeout(r, 250));
            }
          }
        }),
      )
    ).flat();
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    try {
      let joined = false;
      consumer.on(consumer.events.GROUP_JOIN, () => {
        joined = true;
      });
      await consumer.subscribe({ topics: [...topics], fromBeginning: false });
      await consumer.run({ autoCommit: false, eachMessage: () => Promise.resolve() });
      while (!joined) {
        if (Date.now() > deadline) throw new Error(`group ${groupId} did not join within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await consumer.commitOffsets(ends);
    } finally {
      await consumer.disconnect();
    }
    const committed = (await admin.fetchOffsets({ groupId, topics: [...topics] })).flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset })),
    );
    const wrong = ends.filter(
      (e) =>
        !committed.some((c) => c.topic === e.topic && c.partition === e.partition && c.offset === e.offset),
    );
    if (wrong.length > 0)
      throw new Error(
        `group ${groupId}: ${wrong.length} partition(s) not at their end after the commit (${wrong
          .map((w) => `${w.topic}/${w.partition}`)
          .join(', ')})`,
      );
    return committed;
  } finally {
    await admin.disconnect();
  }
}
