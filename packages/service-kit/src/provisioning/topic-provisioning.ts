import { type TopicDefinition } from '@rxbridge/contracts';
import { type Admin } from 'kafkajs';

export interface TopicMismatch {
  topic: string;
  /** What differs; existing topics are never changed by provisioning. */
  problem: string;
}

export interface ProvisioningReport {
  created: string[];
  existing: string[];
  mismatches: TopicMismatch[];
}

export interface ProvisionOptions {
  /** Default: the broker's default.replication.factor (-1). */
  replicationFactor?: number;
}

/**
 * Creates the catalog's missing topics with their partitions, retention and cleanup policy. Idempotent:
 * existing topics are left as they are (changing partitions would move keys between partitions and break
 * per-key order), and a partition count that differs from the catalog is reported, not fixed.
 */
export async function provisionTopics(
  admin: Admin,
  topics: readonly TopicDefinition[],
  options: ProvisionOptions = {},
): Promise<ProvisioningReport> {
  const seen = new Set<string>();
  for (const t of topics) {
    if (seen.has(t.name)) throw new Error(`topic "${t.name}" is declared twice`);
    seen.add(t.name);
    if (!/^[a-zA-Z0-9._-]{1,249}$/.test(t.name)) throw new Error(`invalid topic name "${t.name}"`);
    if (!Number.isInteger(t.partitions) || t.partitions < 1)
      throw new Error(`topic "${t.name}": partitions must be a positive integer`);
    if (!Number.isInteger(t.retentionMs) || t.retentionMs < -1)
      throw new Error(`topic "${t.name}": retentionMs must be an integer >= -1`);
  }
  const before = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !before.has(t.name));
  if (missing.length > 0) {
    // createTopics ignores "already exists", so a replica racing us is harmless
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: options.replicationFactor ?? -1,
        configEntries: [
          { name: 'retention.ms', value: String(t.retentionMs) },
          { name: 'cleanup.policy', value: t.cleanupPolicy },
        ],
      })),
    });
  }
  const existingDefs = topics.filter((t) => before.has(t.name));
  const mismatches: TopicMismatch[] = [];
  if (existingDefs.length > 0) {
    const metadata = await admin.fetchTopicMetadata({ topics: existingDefs.map((t) => t.name) });
    for (const t of existingDefs) {
      const actual = metadata.topics.find((m) => m.name === t.name)?.partitions.length;
      if (actual !== t.partitions) {
        mismatches.push({
          topic: t.name,
          problem: `has ${actual ?? 'unknown'} partitions, the catalog says ${t.partitions}`,
        });
      }
    }
  }
  return { created: missing.map((t) => t.name), existing: existingDefs.map((t) => t.name), mismatches };
}
