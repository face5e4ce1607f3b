export { runMigrateEntry, type MigrateEntryOptions } from './database/migrate-entry.js';
export {
  createServiceDataSource,
  migrateServiceSchema,
  type ServiceDatabaseOptions,
} from './database/service-data-source.js';
export * from './config/index.js';
export * from './logging/index.js';
export * from './metrics/index.js';
export * from './health/index.js';
export * from './tracing/index.js';
export * from './crypto/index.js';
export {
  RxscaleSources,
  RxscaleSourceError,
  type RxscaleSource,
  type RxscaleSourcesOptions,
  type RxscaleSourceErrorCode,
} from './rxscale/rxscale-sources.js';
export { plumbingMigrations } from './inbox/plumbing-migrations.js';
export { CreateInboxAndParked1790000000000 } from './inbox/inbox.migration.js';
export {
  CreateOutboxAndRxscaleCommand1790000000001,
  OUTBOX_CHANNEL,
  RXSCALE_COMMAND_CHANNEL,
} from './outbox/outbox.migration.js';
export {
  PlumbingServer,
  PLUMBING_TRANSPORT,
  DEDUP_KEY_HEADER,
  type PlumbingServerOptions,
  type PlumbingCompanion,
} from './kafka/plumbing.server.js';
export { PlumbingContext, type RecordInfo } from './kafka/plumbing-context.js';
export {
  OnEvent,
  OnTopic,
  defineLocalEvent,
  type LocalEventContract,
  type LocalEvent,
  type EventHandlerDecorator,
  type PlumbingHandlerExtras,
} from './kafka/on-event.js';
export { parseRecord, type ParsedRecord, type HandlerLookup } from './kafka/record-parser.js';
export { type ReceivedRecord } from './kafka/received-record.js';
export { RecordProcessor, type PrepareRun, type RecordProcessorSettings } from './kafka/record-processor.js';
export { defaultDedupKey, type DedupKeyReader } from './inbox/dedup-key.js';
export { ParkedRetryLoop, type ParkedRetrySettings } from './parked/parked-retry.loop.js';
export { claimInInbox, type InboxEntry, type InboxClaim } from './inbox/inbox.repository.js';
export { DeadLetterPublisher, errorCodeOf } from './dead-letters/dead-letter.publisher.js';
export { ConsumerLag, partitionLag, type PartitionLag } from './kafka/consumer-lag.js';
export { createKafkaClient, type KafkaClientOptions } from './kafka/kafka-client.js';
export { PlumbingExceptionFilter } from './kafka/plumbing-exception.filter.js';
export {
  createPlumbingMicroservice,
  connectPlumbing,
  type PlumbingMicroserviceOptions,
  type PlumbingMicroservice,
} from './kafka/plumbing-microservice.js';
export {
  PermanentError,
  TransientError,
  classifyFailure,
  describeFailure,
  backoffDelay,
  decideAfterFailure,
  ShutdownInterrupt,
  type FailureDecision,
  type FailureKind,
  type BackoffPolicy,
} from './kafka/failure.js';
export {
  silentLogger,
  stderrLogger,
  defaultPlumbingLogger,
  type PlumbingObserver,
  type PlumbingLogger,
  type RecordOutcome,
} from './kafka/plumbing-observer.js';
export { enqueueEvent, enqueueEvents, type OutboxMessage } from './outbox/outbox.js';
export { effectsCtes, enqueueEffects, type Effects } from './outbox/enqueue-effects.js';
export { OutboxRelay, type OutboxRelayOptions } from './outbox/outbox.relay.js';
export {
  enqueueRxscaleCommand,
  enqueueRxscaleCommands,
  NewRxscaleCommandSchema,
  type NewRxscaleCommand,
  type RxscaleCommand,
  type RxscaleCommandStatus,
} from './outbox/rxscale-command.js';
export {
  RxscaleCommandRelay,
  type RxscaleCommandRelayOptions,
  type CommandExecutor,
  type CommandTarget,
  type CommandOutcome,
  type SettledOutcome,
} from './outbox/rxscale-command.relay.js';
export {
  provisionTopics,
  waitForTopicLeaders,
  topicConfigEntries,
  type ProvisioningReport,
  type TopicMismatch,
  type ProvisionOptions,
} from './provisioning/topic-provisioning.js';
export * from './entries/dead-letters.js';
export {
  readOutboxBacklog,
  purgePlumbingTables,
  type OutboxBacklog,
  type RetentionOptions,
} from './outbox/plumbing-housekeeping.js';
export { CLOCK, ManualClock, systemClock, type Clock } from './time/clock.js';
export * from './http/index.js';
export { IntervalJob, type IntervalJobOptions, type IntervalJobRun } from './jobs/interval-job.js';
