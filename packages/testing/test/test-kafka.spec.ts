import type { Admin } from 'kafkajs';
import {
  createTopics,
  deleteGroups,
  deleteTopics,
  kafkaClient,
  startGroupAtEnd,
  uniqueTopicName,
  waitFor,
} from '../src/index.js';

describe('test topics and groups', () => {
  const kafka = kafkaClient('testing-kit');
  let admin: Admin;
  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it('creates unique topics with their partitions and settings, and deletes them', async () => {
    const name = uniqueTopicName('testing-kit');
    expect(name).toMatch(/^test\.testing-kit\.[0-9a-f]{8}$/);
    expect(uniqueTopicName('testing-kit')).not.toBe(name);
    await createTopics(admin, [
      { name, partitions: 3, configEntries: [{ name: 'retention.ms', value: '60000' }] },
    ]);
    try {
      const [meta] = (await admin.fetchTopicMetadata({ topics: [name] })).topics;
      expect(meta!.partitions).toHaveLength(3);
    } finally {
      await deleteTopics(admin, [name, uniqueTopicName('never-created')]);
    }
    await waitFor(async () => !(await admin.listTopics()).includes(name), `${name} to be deleted`);
  });

  it('deletes a consumer group that has committed, and ignores one that never existed', async () => {
    const topic = uniqueTopicName('testing-kit-group');
    const groupId = `${topic}.group`;
    await createTopics(admin, [{ name: topic }]);
    try {
      await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '0' }] });
      const listed = async () => (await admin.listGroups()).groups.some((g) => g.groupId === groupId);
      await waitFor(listed, `group ${groupId} listed`);
      await deleteGroups(admin, [groupId, `${groupId}.never`]);
      expect(await listed()).toBe(false);
    } finally {
      await deleteTopics(admin, [topic]);
    }
  });

  it("starts a new group at the topics' end: it reads what comes after, none of what was there", async () => {
    const topic = uniqueTopicName('testing-kit-at-end');
    const groupId = `${topic}.group`;
    await createTopics(admin, [{ name: topic, partitions: 2 }]);
    const producer = kafka.producer();
    await producer.connect();
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    try {
      await producer.send({
        topic,
        messages: ['old-1', 'old-2', 'old-3'].map((v) => ({ key: v, value: v })),
      });
      const committed = await startGroupAtEnd(kafka, groupId, [topic]);
      const ends = await admin.fetchTopicOffsets(topic);
      expect(committed.map((c) => c.offset).sort()).toEqual(ends.map((e) => e.high).sort());
      expect(committed.reduce((sum, c) => sum + Number(c.offset), 0)).toBe(3);

      const seen: string[] = [];
      await consumer.connect();
      // the beginning, as the services' default: only the committed offsets keep the old records out
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: ({ message }) => {
          seen.push(String(message.value));
          return Promise.resolve();
        },
      });
      await producer.send({ topic, messages: [{ key: 'new', value: 'new' }] });
      await waitFor(() => seen.includes('new'), 'the record produced after the start');
      expect(seen).toEqual(['new']);
      await expect(startGroupAtEnd(kafka, groupId, [topic])).rejects.toThrow(/is not new/);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await deleteGroups(admin, [groupId]);
      await deleteTopics(admin, [topic]);
    }
  });
});
