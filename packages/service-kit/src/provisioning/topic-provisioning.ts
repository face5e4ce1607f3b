import { type TopicDefinition } from '@rxbridge/contracts';
import kafkajs, { type Admin } from 'kafkajs';

// kafkajs is CommonJS and Node's ESM loader does not see this export by name (Jest's transform would).
const { ConfigResourceTypes } = kafkajs;

export interface TopicMismatch {
  topic: string;
  /** What differs and is not fixed by provisioning (the partition count). */
  problem: string;
}

export interface ProvisioningReport {
  created: string[];
  existing: string[];
  /** Existing topics whose retention, cleanup policy or record size limit were set to the catalog's. */
  reconfigured: string[];
  mismatches: TopicMismatch[];
}

export interface ProvisionOptions {
  /** Default: the broker's default.replication.factor (-1). */
  replicationFactor?: number;
  /** How long new topics may take to get a leader for every partition. Default 30 s. */
  leaderTimeoutMs?: number;
}

/**
 * Creates the catalog's missing topics with their partitions, retention, cleanup policy and record size
 * limit. Idempotent:
 * an existing topic's settings are brought to the catalog's (they change no record's place), but its
 * partitions are left as they are (changing them would move keys between partitions and break per-key
 * order): a partition count that differs from the catalog is reported, not fixed.
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
    // createTopics ignores "already exists", so a replica racing us is harmless. Its own waitForLeaders
    // gives up when a broker's metadata has not caught up yet (see waitForTopicLeaders), so we wait ourselves.
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: options.replicationFactor ?? -1,
        configEntries: topicConfigEntries(t),
      })),
    });
    await waitForTopicLeaders(admin, missing, { timeoutMs: options.leaderTimeoutMs });
  }
  const existingDefs = topics.filter((t) => before.has(t.name));
  const reconfigured = await reconcileConfigs(admin, existingDefs);
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
  return {
    created: missing.map((t) => t.name),
    existing: existingDefs.map((t) => t.name),
    reconfigured,
    mismatches,
  };
}

// Metadata errors that only say the broker has not caught up with the controller yet.
const NOT_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/**
 * Waits until each topic has its partitions and every partition a leader, so that what follows can produce
 * and consume at once. CreateTopics answers when the controller has the topics; in KRaft a broker's metadata
 * can lag behind it for a moment, answering UNKNOWN_TOPIC_OR_PARTITION, which kafkajs's own
 * `waitForLeaders` does not retry (kafkajs#1222).
 */
export async function waitForTopicLeaders(
  admin: Admin,
  topics: readonly { name: string; partitions: number }[],
  { timeoutMs = 30_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let waitingFor: string;
  for (;;) {
    try {
      const { topics: described } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
      const unled = topics.filter((t) => {
        const partitions = described.find((d) => d.name === t.name)?.partitions ?? [];
        return partitions.length < t.partitions || partitions.some((p) => p.leader < 0);
      });
      if (unled.length === 0) return;
      waitingFor = `leaders for ${unled.map((t) => t.name).join(', ')}`;
    } catch (error) {
      const type = (error as { type?: unknown }).type;
      if (typeof type !== 'string' || !NOT_YET.has(type)) throw error;
      waitingFor = `metadata (${type})`;
    }
    if (Date.now() >= deadline) {
      throw new Error(`topics created, but no ${waitingFor} after ${timeoutMs} ms; is every broker up?`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The topic-level settings the catalog declares, as Kafka config entries. */
export function topicConfigEntries(t: TopicDefinition): { name: string; value: string }[] {
  return [
    { name: 'retention.ms', value: String(t.retentionMs) },
    { name: 'cleanup.policy', value: t.cleanupPolicy },
    ...(t.maxMessageBytes === undefined
      ? []
      : [{ name: 'max.message.bytes', value: String(t.maxMessageBytes) }]),
  ];
}

/**
 * Sets the catalog's topic-level settings on existing topics where they differ (a release that raises a
 * record size limit, say). AlterConfigs replaces a topic's whole set of overrides, which is right here:
 * the catalog is the one place topic settings are declared.
 */
async function reconcileConfigs(admin: Admin, defs: readonly TopicDefinition[]): Promise<string[]> {
  if (defs.length === 0) return [];
  const wanted = new Map(defs.map((t) => [t.name, topicConfigEntries(t)]));
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: defs.map((t) => ({
      type: ConfigResourceTypes.TOPIC,
      name: t.name,
      configNames: wanted.get(t.name)!.map((e) => e.name),
    })),
  });
  const drifted = defs.filter((t) => {
    const actual = new Map(
      described.resources
        .find((r) => r.resourceName === t.name)
        ?.configEntries.map((e) => [e.configName, e.configValue]) ?? [],
    );
    return wanted.get(t.name)!.some((e) => actual.get(e.name) !== e.value);
  });
  if (drifted.length > 0) {
    await admin.alterConfigs({
      validateOnly: false,
      resources: drifted.map((t) => ({
        type: ConfigResourceTypes.TOPIC,
        name: t.name,
        configEntries: wanted.get(t.name)!,
      })),
    });
  }
  return drifted.map((t) => t.name);
}
