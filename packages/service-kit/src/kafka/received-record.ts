import { type KafkaMessage } from 'kafkajs';
import { headersToStrings } from './record-headers.js';

/** A Kafka record as the plumbing handles it: key and headers decoded, the value still bytes. */
export interface ReceivedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export function toReceived(topic: string, partition: number, message: KafkaMessage): ReceivedRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key === null ? null : message.key.toString('utf8'),
    value: message.value,
    headers: headersToStrings(message.headers),
  };
}

/** Where a record came from, for log lines (never its payload). */
export function origin(record: ReceivedRecord): Record<string, unknown> {
  return { topic: record.topic, partition: record.partition, offset: record.offset };
}
