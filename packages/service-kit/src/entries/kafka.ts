// @rxbridge/service-kit/kafka: a Kafka client with the kit's logging, and topic provisioning (kafkajs and pino,
// nothing of Nest), for tools such as the CLI whose Kafka commands must not load the services' stack. The
// services keep using the main entry.
export { createKafkaClient, type KafkaClientOptions } from '../kafka/kafka-client.js';
export {
  silentLogger,
  stderrLogger,
  defaultPlumbingLogger,
  type PlumbingLogger,
} from '../kafka/plumbing-observer.js';
export {
  provisionTopics,
  waitForTopicLeaders,
  topicConfigEntries,
  type ProvisioningReport,
  type TopicMismatch,
  type ProvisionOptions,
} from '../provisioning/topic-provisioning.js';
