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
export { PlumbingContext, OnEvent, type RecordInfo } from './kafka/plumbing-context.js';
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
  type CommandOutcome,
  type SettledOutcome,
} from './outbox/rxscale-command.relay.js';
export {
  provisionTopics,
  topicConfigEntries,
  type ProvisioningReport,
  type TopicMismatch,
  type ProvisionOptions,
} from './provisioning/topic-provisioning.js';
export {
  listDeadLetters,
  inspectDeadLetter,
  replayDeadLetter,
  REPLAYED_FROM_HEADER,
  type DeadLetter,
  type DeadLetterSummary,
  type DeadLetterAddress,
} from './dead-letters/dead-letters.js';
export {
  readOutboxBacklog,
  purgePlumbingTables,
  type OutboxBacklog,
  type RetentionOptions,
} from './outbox/plumbing-housekeeping.js';
