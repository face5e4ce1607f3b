import { randomUUID } from 'node:crypto';
import { type Kafka, type Producer } from 'kafkajs';
import { headersToStrings } from '../kafka/record-headers.js';

/** Header put on a replayed record, naming the dead letter it came from. */
export const REPLAYED_FROM_HEADER = 'rxbridge-replayed-from';
const DLQ_HEADER_PREFIX = 'dlq-';

export interface DeadLetterSummary {
  partition: number;
  offset: string;
  key: string | null;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  error: string;
  errorCode: string;
  attempts: number;
  failedAt: string;
  /** CloudEvent id and type when the value parses as JSON with them. */
  eventId?: string;
  eventType?: string;
}

export interface DeadLetter extends DeadLetterSummary {
  value: Buffer | null;
  /** The original record's headers (without the dlq-* ones). */
  originalHeaders: Record<string, string>;
}

export interface DeadLetterAddress {
  partition: number;
  offset: string;
}

/** Every dead letter of a group, oldest first (up to `limit`). Reads the DLQ topic without committing. */
export async function listDeadLetters(
  kafka: Kafka,
  group: string,
  options: { limit?: number } = {},
): Promise<DeadLetterSummary[]> {
  const letters = await readDeadLetters(kafka, group, options.limit ?? 1_000);
  return letters.map(({ value: _value, originalHeaders: _headers, ...summary }) => summary);
}

/** One dead letter with its original value and headers; undefined when there is none at that address. */
export async function inspectDeadLetter(
  kafka: Kafka,
  group: string,
  address: DeadLetterAddress,
): Promise<DeadLetter | undefined> {
  const letters = await readDeadLetters(kafka, group, Number.MAX_SAFE_INTEGER, address);
  return letters.find((l) => l.partition === address.partition && l.offset === address.offset);
}

/**
 * Republishes a dead letter to its source topic with its original key, value and headers plus
 * `rxbridge-replayed-from`. The consumer's inbox keeps a replay of something already handled a no-op.
 */
export async function replayDeadLetter(
  kafka: Kafka,
  producer: Producer,
  group: string,
  address: DeadLetterAddress,
): Promise<DeadLetter> {
  const letter = await inspectDeadLetter(kafka, group, address);
  if (!letter)
    throw new Error(`no dead letter at ${group}.dlq partition ${address.partition} offset ${address.offset}`);
  await producer.send({
    topic: letter.sourceTopic,
    acks: -1,
    messages: [
      {
        key: letter.key,
        value: letter.value,
        headers: {
          ...letter.originalHeaders,
          [REPLAYED_FROM_HEADER]: `${group}.dlq/${letter.partition}/${letter.offset}`,
        },
      },
    ],
  });
  return letter;
}

async function readDeadLetters(
  kafka: Kafka,
  group: string,
  limit: number,
  only?: DeadLetterAddress,
): Promise<DeadLetter[]> {
  const topic = `${group}.dlq`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const ends = new Map(
      offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]),
    );
    if (only) {
      const end = ends.get(only.partition);
      if (end === undefined || BigInt(only.offset) >= end) return [];
      ends.clear();
      ends.set(only.partition, BigInt(only.offset) + 1n);
    }
    if (ends.size === 0) return [];
    const readerGroup = `rxbridge-dlq-reader-${randomUUID()}`;
    // a short long-poll: the reader disconnects as soon as it reached the end
    const consumer = kafka.consumer({ groupId: readerGroup, maxWaitTimeInMs: 200 });
    const letters: DeadLetter[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const remaining = new Map(ends);
        const timer = setTimeout(() => reject(new Error(`timed out reading ${topic}`)), 30_000);
        const finish = (): void => {
          clearTimeout(timer);
          resolve();
        };
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              const end = remaining.get(partition);
              if (end === undefined) return;
              if (!only || message.offset === only.offset)
                letters.push(
                  toDeadLetter(partition, message.offset, message.key, message.value, message.headers),
                );
              if (BigInt(message.offset) + 1n >= end) remaining.delete(partition);
              if (remaining.size === 0 || letters.length >= limit) finish();
              return Promise.resolve();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
      await admin.deleteGroups([readerGroup]).catch(() => undefined);
    }
    return letters
      .sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1))
      .slice(0, limit);
  } finally {
    await admin.disconnect();
  }
}

function toDeadLetter(
  partition: number,
  offset: string,
  key: Buffer | null,
  value: Buffer | null,
  rawHeaders: Parameters<typeof headersToStrings>[0],
): DeadLetter {
  const headers = headersToStrings(rawHeaders);
  const originalHeaders = Object.fromEntries(
    Object.entries(headers).filter(([name]) => !name.startsWith(DLQ_HEADER_PREFIX)),
  );
  let eventId: string | undefined;
  let eventType: string | undefined;
  try {
    const parsed = JSON.parse(value?.toString('utf8') ?? 'null') as { id?: unknown; type?: unknown } | null;
    if (typeof parsed?.id === 'string') eventId = parsed.id;
    if (typeof parsed?.type === 'string') eventType = parsed.type;
  } catch {
    // a poison record need not be JSON
  }
  return {
    partition,
    offset,
    key: key?.toString('utf8') ?? null,
    value,
    originalHeaders,
    sourceTopic: headers['dlq-source-topic'] ?? '',
    sourcePartition: Number(headers['dlq-source-partition'] ?? -1),
    sourceOffset: headers['dlq-source-offset'] ?? '',
    error: headers['dlq-error'] ?? '',
    errorCode: headers['dlq-error-code'] ?? '',
    attempts: Number(headers['dlq-attempts'] ?? 0),
    failedAt: headers['dlq-failed-at'] ?? '',
    ...(eventId ? { eventId } : {}),
    ...(eventType ? { eventType } : {}),
  };
}
