import { type Admin, type Consumer, type Kafka } from 'kafkajs';

export interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

/**
 * Lag of the partitions assigned to this member: the high watermark minus the group's committed offset (the
 * low watermark when nothing was committed yet). Asks the broker (one offset fetch for the group, one per
 * topic), so it is honest also when a partition is stuck and no batch arrives. Each replica reports only its
 * own partitions, so summing over replicas counts each partition once.
 */
export class ConsumerLag {
  /** Partitions assigned to this member at the last join. */
  private assignment: Record<string, number[]> = {};
  private admin: Admin | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    consumer: Consumer,
  ) {
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assignment = payload.memberAssignment;
    });
    consumer.on(consumer.events.STOP, () => {
      this.assignment = {};
    });
  }

  async read(): Promise<PartitionLag[]> {
    const assigned = Object.entries(this.assignment).filter(([, partitions]) => partitions.length > 0);
    if (assigned.length === 0) return [];
    if (!this.admin) {
      const admin = this.kafka.admin({ retry: { retries: 1 } });
      await admin.connect();
      this.admin = admin;
    }
    const admin = this.admin;
    const topics = assigned.map(([topic]) => topic);
    const [committed, ...ends] = await Promise.all([
      admin.fetchOffsets({ groupId: this.groupId, topics }),
      ...topics.map((topic) => admin.fetchTopicOffsets(topic)),
    ]);
    const lags: PartitionLag[] = [];
    assigned.forEach(([topic, partitions], i) => {
      const groupOffsets = committed.find((c) => c.topic === topic)?.partitions ?? [];
      for (const partition of partitions) {
        const end = ends[i]!.find((e) => e.partition === partition);
        if (!end) continue;
        const offset = groupOffsets.find((p) => p.partition === partition)?.offset;
        lags.push({ topic, partition, lag: partitionLag(end, offset) });
      }
    });
    return lags;
  }

  async close(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }
}

/** One partition's lag from its watermarks and the group's committed offset (`-1` or absent: none yet). */
export function partitionLag(end: { low: string; high: string }, committed: string | undefined): number {
  const from = committed !== undefined && BigInt(committed) >= 0n ? BigInt(committed) : BigInt(end.low);
  const lag = BigInt(end.high) - from;
  return Number(lag > 0n ? lag : 0n);
}
