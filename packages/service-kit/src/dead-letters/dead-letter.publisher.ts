import { type ErrorCode } from '@rxbridge/contracts';
import { type Producer } from 'kafkajs';
import { describeFailure } from '../kafka/failure.js';
import { type PlumbingLogger } from '../kafka/plumbing-observer.js';
import { origin, type ReceivedRecord } from '../kafka/received-record.js';

/** The code written to `dlq-error-code` and used as the dead-letter metric's outcome label. */
export function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : ('unclassified' satisfies ErrorCode);
}

/**
 * Writes a record to its consumer group's dead-letter topic, `<group>.dlq` (DESIGN.md §3): the original key,
 * value and headers, plus the error, its code, the attempt count and where the record came from, so it can be
 * inspected and replayed (dead-letters.ts).
 */
export class DeadLetterPublisher {
  readonly topic: string;

  constructor(
    private readonly producer: Producer,
    private readonly group: string,
    private readonly log: PlumbingLogger,
  ) {
    this.topic = `${group}.dlq`;
  }

  async publish(record: ReceivedRecord, error: unknown, attempts: number): Promise<void> {
    const description = describeFailure(error);
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: [
        {
          key: record.key,
          value: record.value,
          headers: {
            ...record.headers,
            'dlq-error': description,
            'dlq-error-code': errorCodeOf(error),
            'dlq-attempts': String(attempts),
            'dlq-source-topic': record.topic,
            'dlq-source-partition': String(record.partition),
            'dlq-source-offset': record.offset,
            'dlq-consumer-group': this.group,
            'dlq-failed-at': new Date().toISOString(),
          },
        },
      ],
    });
    this.log.error({ ...origin(record), attempts, error: description }, 'record dead-lettered');
  }
}
