import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DeadLetterPublisher, REPLAYED_FROM_HEADER, silentLogger } from '@rxbridge/service-kit';
import { createTopics, kafkaClient, uniqueSuffix } from '@rxbridge/testing';
import { type Admin, type Kafka, type Producer } from 'kafkajs';
import { KAFKA_BROKERS, parseJson, runCli } from './support/run-cli.js';

const env = { KAFKA_BROKERS };
const group = `cli-test-${uniqueSuffix()}`;
const source = `test.cli-dlq-source.${uniqueSuffix()}`;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;

const event = (id: string, type: string) =>
  Buffer.from(JSON.stringify({ specversion: '1.0', id, type, source: '/test', data: { n: id } }));

/** Everything on the source topic, with its headers as strings. */
async function sourceRecords(): Promise<
  { key: string | null; value: string; headers: Record<string, string> }[]
> {
  const offsets = await admin.fetchTopicOffsets(source);
  const end = Number(offsets[0]!.high);
  if (end === 0) return [];
  const consumer = kafka.consumer({ groupId: `cli-test-reader-${uniqueSuffix()}`, maxWaitTimeInMs: 100 });
  const out: { key: string | null; value: string; headers: Record<string, string> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: source, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: ({ message }) => {
        out.push({
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? '',
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
        if (Number(message.offset) + 1 >= end) resolve();
        return Promise.resolve();
      },
    });
  });
  await consumer.disconnect();
  return out;
}

beforeAll(async () => {
  kafka = kafkaClient('cli-dlq-test', KAFKA_BROKERS.split(','));
  admin = kafka.admin();
  await admin.connect();
  await createTopics(admin, [{ name: source }, { name: `${group}.dlq` }]);
  producer = kafka.producer();
  await producer.connect();
  // three dead letters, written the way the consumers write them
  const dlq = new DeadLetterPublisher(producer, group, silentLogger);
  const failure = Object.assign(new Error('handler refused it'), { code: 'contract_violation' });
  await dlq.publish(
    {
      topic: source,
      partition: 0,
      offset: '7',
      key: 'order-1',
      value: event('ev-1', 'pharmacy.order.accepted'),
      headers: { traceparent: 'tp-1', 'x-dedup': 'd1' },
    },
    failure,
    3,
  );
  await dlq.publish(
    {
      topic: source,
      partition: 0,
      offset: '8',
      key: 'order-2',
      value: event('ev-2', 'pharmacy.order.cancelled'),
      headers: {},
    },
    failure,
    1,
  );
  await dlq.publish(
    { topic: source, partition: 0, offset: '9', key: null, value: Buffer.from('not json'), headers: {} },
    failure,
    1,
  );
});
afterAll(async () => {
  await producer.disconnect();
  await admin.deleteTopics({ topics: [source, `${group}.dlq`] }).catch(() => undefined);
  await admin.disconnect();
});

describe('rxbridge dlq', () => {
  it('list --json shows every dead letter with its source, error and attempts; --type filters', async () => {
    const run = await runCli(['dlq', 'list', '--group', group, '--json'], env);
    expect(run.code).toBe(0);
    const letters = parseJson<
      {
        offset: string;
        sourceTopic: string;
        sourceOffset: string;
        attempts: number;
        errorCode: string;
        eventType?: string;
      }[]
    >(run);
    expect(letters.map((l) => [l.offset, l.sourceOffset, l.attempts, l.eventType])).toEqual([
      ['0', '7', 3, 'pharmacy.order.accepted'],
      ['1', '8', 1, 'pharmacy.order.cancelled'],
      ['2', '9', 1, undefined],
    ]);
    expect(letters.every((l) => l.sourceTopic === source && l.errorCode === 'contract_violation')).toBe(true);
    const typed = parseJson<unknown[]>(
      await runCli(['dlq', 'list', '--group', group, '--type', 'pharmacy.order.cancelled', '--json'], env),
    );
    expect(typed).toHaveLength(1);
    const future = parseJson<unknown[]>(
      await runCli(['dlq', 'list', '--group', group, '--since', '2999-01-01T00:00:00Z', '--json'], env),
    );
    expect(future).toEqual([]);
  });

  it('show prints one dead letter, the value only when asked', async () => {
    const run = await runCli(['dlq', 'show', group, '0:0', '--json'], env);
    expect(run.code).toBe(0);
    const letter = parseJson<{
      key: string;
      originalHeaders: Record<string, string>;
      error: string;
      value?: string;
    }>(run);
    expect(letter.key).toBe('order-1');
    expect(letter.originalHeaders).toEqual({ traceparent: 'tp-1', 'x-dedup': 'd1' });
    expect(letter.error).toContain('handler refused it');
    expect(letter.value).toBeUndefined();
    const withValue = parseJson<{ value: string }>(
      await runCli(['dlq', 'show', group, '0:0', '--value', '--json'], env),
    );
    expect(JSON.parse(withValue.value)).toMatchObject({ id: 'ev-1' });
    const missing = await runCli(['dlq', 'show', group, '0:99'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`no dead letter at ${group}.dlq 0:99`);
    expect((await runCli(['dlq', 'show', group, 'zero'], env)).code).toBe(2);
  });

  it('replay --dry-run sends nothing', async () => {
    const run = await runCli(['dlq', 'replay', group, '--dry-run', '--json'], env);
    expect(run.code).toBe(0);
    expect(parseJson<{ wouldReplay: string[] }>(run).wouldReplay).toEqual(['0:0', '0:1', '0:2']);
    expect(await sourceRecords()).toEqual([]);
  });

  it('replay puts each dead letter back once with its key, value and headers; a second replay skips them', async () => {
    const partial = await runCli(
      ['dlq', 'replay', group, '--type', 'pharmacy.order.accepted', '--json'],
      env,
    );
    expect(partial.code).toBe(0);
    expect(parseJson<{ replayed: string[] }>(partial).replayed).toEqual(['0:0']);
    const all = await runCli(['dlq', 'replay', group, '--json'], env);
    expect(all.code).toBe(0);
    expect(parseJson<{ replayed: string[]; skipped: string[] }>(all)).toMatchObject({
      replayed: ['0:1', '0:2'],
      skipped: ['0:0'],
    });
    const again = parseJson<{ replayed: string[]; skipped: string[] }>(
      await runCli(['dlq', 'replay', group, '--json'], env),
    );
    expect(again).toMatchObject({ replayed: [], skipped: ['0:0', '0:1', '0:2'] });

    const records = await sourceRecords();
    expect(records).toHaveLength(3);
    expect(records.map((r) => r.headers[REPLAYED_FROM_HEADER]).sort()).toEqual([
      `${group}.dlq/0/0`,
      `${group}.dlq/0/1`,
      `${group}.dlq/0/2`,
    ]);
    const first = records.find((r) => r.key === 'order-1')!;
    expect(JSON.parse(first.value)).toMatchObject({ id: 'ev-1', type: 'pharmacy.order.accepted' });
    expect(first.headers).toMatchObject({ traceparent: 'tp-1', 'x-dedup': 'd1' });
    expect(Object.keys(first.headers).some((h) => h.startsWith('dlq-'))).toBe(false);
    expect(records.find((r) => r.key === null)?.value).toBe('not json');
  });

  it('a group without a DLQ topic, a bad group name and an unreachable broker fail clearly', async () => {
    const none = await runCli(['dlq', 'list', '--group', `cli-none-${uniqueSuffix()}`], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('there is no dead-letter topic');
    expect((await runCli(['dlq', 'list', '--group', 'bad group'], env)).code).toBe(2);
    expect((await runCli(['dlq', 'list', '--since', 'yesterday-ish'], env)).code).toBe(2);
    const down = await runCli(['dlq', 'replay', group], { KAFKA_BROKERS: '127.0.0.1:1' });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('KAFKA_BROKERS');
  });
});
