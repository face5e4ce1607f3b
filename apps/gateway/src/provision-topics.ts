// One-shot: creates the topic catalog's missing topics (and each consumer group's dead-letter topic)
// with their partitions, retention and record size limits, and brings existing topics' settings to the
// catalog's. Idempotent, so the deploy runs it every time (k8s Job `provision-topics`, compose `setup`).
// Exit 0 when the catalog is in place (a partition count that differs is reported, never changed),
// 1 when the broker cannot be reached or refuses, 78 on a bad configuration.
import { allTopics } from '@rxbridge/contracts';
import {
  configSchema,
  createKafkaClient,
  createLogger,
  kafkaConfig,
  loadConfigOrExit,
  logConfig,
  provisionTopics,
} from '@rxbridge/service-kit';

const Schema = configSchema({ kafka: kafkaConfig('rxbridge-provision-topics'), log: logConfig() });

const config = loadConfigOrExit(Schema, process.env);
const logger = createLogger({ service: 'provision-topics', level: config.log.level });
const admin = createKafkaClient({ clientId: config.kafka.clientId, brokers: config.kafka.brokers }).admin();
try {
  await admin.connect();
  const report = await provisionTopics(admin, allTopics());
  for (const m of report.mismatches)
    logger.warn({ topic: m.topic, problem: m.problem }, 'topic differs from the catalog');
  logger.info(
    { created: report.created, reconfigured: report.reconfigured, existing: report.existing.length },
    'topics provisioned',
  );
} catch (err) {
  logger.error({ err: err instanceof Error ? err.message : String(err) }, 'provisioning the topics failed');
  process.exitCode = 1;
} finally {
  await admin.disconnect().catch(() => undefined);
}
