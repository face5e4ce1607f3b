import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { defaultPlumbingLogger, kafkaLogCreator, type PlumbingLogger } from './plumbing-observer.js';

export interface KafkaClientOptions extends Omit<KafkaConfig, 'logCreator'> {
  brokers: KafkaConfig['brokers'];
  /** Where kafkajs's own lines go (WARN and ERROR). Default: the service-kit pino logger named by clientId. */
  logger?: PlumbingLogger;
}

/**
 * The one place a kafkajs client is made: the consumer runtime, the outbox relay, provisioning, the DLQ tools,
 * the gateway, scripts and benchmarks all take their client from here, so settings and logging agree. kafkajs
 * logs at WARN (or `logLevel`) through the given pino logger (its lines carry no payloads); pass `silentLogger` to mute it.
 */
export function createKafkaClient(options: KafkaClientOptions): Kafka {
  const { logger, ...config } = options;
  const log = logger ?? defaultPlumbingLogger(config.clientId ?? 'kafka');
  return new Kafka({ logLevel: logLevel.WARN, ...config, logCreator: kafkaLogCreator(log) });
}
