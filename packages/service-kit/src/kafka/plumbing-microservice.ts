import { type INestApplication, type INestMicroservice, type LoggerService } from '@nestjs/common';
import { type IEntryNestModule } from '@nestjs/core';
import { NestFactory } from '@nestjs/core';
import { createLogger, type ServiceLogger } from '../logging/logger.js';
import { NestPinoLogger } from '../logging/nest-logger.js';
import {
  combineObservers,
  consumerLagCollector,
  outboxBacklogCollector,
  plumbingMetricsObserver,
} from '../metrics/plumbing-metrics.js';
import { type ServiceMetrics } from '../metrics/service-metrics.js';
import { OutboxRelay, type OutboxRelayOptions } from '../outbox/outbox.relay.js';
import { RxscaleCommandRelay, type RxscaleCommandRelayOptions } from '../outbox/rxscale-command.relay.js';
import { PlumbingExceptionFilter } from './plumbing-exception.filter.js';
import { type PlumbingLogger } from './plumbing-observer.js';
import { PlumbingServer, type PlumbingServerOptions } from './plumbing.server.js';

/** Everything of issue 4 a consuming service needs, in one options object. */
export interface PlumbingMicroserviceOptions extends Omit<PlumbingServerOptions, 'logger'> {
  /**
   * The service's logger (`createLogger`): the runtime, kafkajs, the relays and Nest itself log through it.
   * Default: `createLogger({ service: kafka.clientId ?? groupId })`. A bare `PlumbingLogger` is accepted too
   * (then Nest keeps its own logger).
   */
  logger?: ServiceLogger | PlumbingLogger;
  /**
   * The service's metrics (`new ServiceMetrics`): record counters from the runtime and the relays, and, at
   * every scrape, consumer lag of this replica's partitions and the outbox/command backlog of its schema.
   */
  metrics?: ServiceMetrics;
  /** Run an outbox relay with the server's lifetime (`true`, or its settings). Off by default. */
  outboxRelay?: boolean | Omit<OutboxRelayOptions, 'dataSource' | 'kafka' | 'observer' | 'logger'>;
  /** Run an RxScale command relay with the server's lifetime. Off by default. */
  commandRelay?: Omit<RxscaleCommandRelayOptions, 'dataSource' | 'observer' | 'logger'>;
}

export interface PlumbingMicroservice {
  app: INestMicroservice;
  server: PlumbingServer;
  logger: ServiceLogger | PlumbingLogger;
  outboxRelay?: OutboxRelay;
  commandRelay?: RxscaleCommandRelay;
}

/**
 * A Nest microservice whose `@EventPattern` handlers are fed by the plumbing: original errors reach the
 * failure classifier, and SIGTERM/SIGINT run a graceful close (stop fetching, finish, commit, leave, then
 * stop the relays). Logger and metrics given once reach the consumer, kafkajs, the relays and Nest.
 */
export async function createPlumbingMicroservice(
  module: IEntryNestModule,
  options: PlumbingMicroserviceOptions,
  nest: { logger?: LoggerService | false } = {},
): Promise<PlumbingMicroservice> {
  const { server, logger, relays } = buildPlumbing(options);
  const nestLogger = nest.logger ?? (isPino(logger) ? new NestPinoLogger(logger) : undefined);
  const app = await NestFactory.createMicroservice(module, { strategy: server, logger: nestLogger });
  app.useGlobalFilters(new PlumbingExceptionFilter());
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  return { app, server, logger, ...relays };
}

/**
 * The same wiring on a service's HTTP app (a hybrid app: one process serves /metrics, /health and its REST
 * API, and consumes). Call before `app.startAllMicroservices()`; the app's `close()` (and its shutdown hooks,
 * if enabled) closes the consumer and relays too.
 */
export function connectPlumbing(
  app: INestApplication,
  options: PlumbingMicroserviceOptions,
): Omit<PlumbingMicroservice, 'app'> & { microservice: INestMicroservice } {
  const { server, logger, relays } = buildPlumbing(options);
  // Deferred: a connected microservice binds its handlers at once, with the filters it has by then; the
  // plumbing's filter must be there first or Nest's default RPC filter hides permanent vs. transient.
  const microservice = app.connectMicroservice({ strategy: server }, { deferInitialization: true });
  microservice.useGlobalFilters(new PlumbingExceptionFilter());
  return { microservice, server, logger, ...relays };
}

function buildPlumbing(options: PlumbingMicroserviceOptions): {
  server: PlumbingServer;
  logger: ServiceLogger | PlumbingLogger;
  relays: Pick<PlumbingMicroservice, 'outboxRelay' | 'commandRelay'>;
} {
  const { metrics, outboxRelay, commandRelay, ...serverOptions } = options;
  const logger = options.logger ?? createLogger({ service: options.kafka.clientId ?? options.groupId });
  const observer = metrics
    ? combineObservers(options.observer, plumbingMetricsObserver(metrics))
    : options.observer;
  const server = new PlumbingServer({ ...serverOptions, logger, ...(observer ? { observer } : {}) });
  const relays: Pick<PlumbingMicroservice, 'outboxRelay' | 'commandRelay'> = {};
  if (outboxRelay) {
    const relay = new OutboxRelay({
      ...(outboxRelay === true ? {} : outboxRelay),
      dataSource: options.dataSource,
      kafka: options.kafka,
      logger,
      ...(observer ? { observer } : {}),
    });
    server.runAlongside(relay);
    relays.outboxRelay = relay;
  }
  if (commandRelay) {
    const relay = new RxscaleCommandRelay({
      ...commandRelay,
      dataSource: options.dataSource,
      logger,
      ...(observer ? { observer } : {}),
    });
    server.runAlongside(relay);
    relays.commandRelay = relay;
  }
  if (metrics) {
    const removeLag = metrics.addCollector(
      `consumer_lag:${options.groupId}`,
      consumerLagCollector(server, options.groupId, metrics),
    );
    const removeBacklog = metrics.addCollector(
      `outbox_backlog:${schemaName(options)}`,
      outboxBacklogCollector(options.dataSource, metrics),
    );
    // after close, a scrape must not reach for a stopped consumer or a destroyed pool
    server.runAlongside({
      start: () => Promise.resolve(),
      stop: () => {
        removeLag();
        removeBacklog();
        return Promise.resolve();
      },
    });
  }
  return { server, logger, relays };
}

function isPino(logger: ServiceLogger | PlumbingLogger): logger is ServiceLogger {
  return typeof (logger as ServiceLogger).child === 'function' && 'levels' in logger;
}

function schemaName(options: PlumbingServerOptions): string {
  return (options.dataSource.options as { schema?: string }).schema ?? 'public';
}
