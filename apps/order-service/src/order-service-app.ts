import 'reflect-metadata';
import { type OnApplicationShutdown } from '@nestjs/common';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Topics } from '@rxbridge/contracts';
import { type RateLimits, type RetryOptions } from '@rxbridge/rxscale-client';
import {
  connectPlumbing,
  createLogger,
  createServiceDataSource,
  createServiceHttpApp,
  databaseHealthCheck,
  FieldCipher,
  httpEdgeMigrations,
  kafkaHealthCheck,
  migrateServiceSchema,
  rxscaleMetricsHooks,
  rxscaleReachabilityCheck,
  RxscaleSources,
  ServiceMetrics,
  systemClock,
  type BackoffPolicy,
  type Clock,
  type OpenAPIObject,
  type ServiceLogger,
} from '@rxbridge/service-kit';
import pg from 'pg';
import { type OrderServiceConfig } from './config/order-service-config.js';
import { ORDER_ERRORS } from './orders/order.errors.js';
import { orderServiceMigrations } from './migrations/index.js';
import { OrderMetrics } from './metrics/order-metrics.js';
import { OrderDetailPrefetch } from './rxscale/order-detail-prefetch.js';
import { OrderLifecycleService } from './orders/order-lifecycle.service.js';
import { OrderCommandExecutor } from './rxscale/order-command.executor.js';
import { OrderServiceModule } from './order-service.module.js';
import { type PatientDataCipher } from './patient-data/patient-data-cipher.js';

export const ORDER_SERVICE_TOPICS = [
  Topics.rxscalePharmacyOrders.name,
  Topics.pharmacyInventory.name,
  Topics.pharmacyShipments.name,
];

/** Test and benchmark seams; production passes none. */
export interface OrderServiceOverrides {
  /** Default `orders`. */
  schema?: string;
  clock?: Clock;
  cipher?: PatientDataCipher;
  metrics?: ServiceMetrics;
  /** Start the safety net and retention schedules (default true). */
  startJobs?: boolean;
  /** The rate budget per source (default RxScale's 10/s, 600/min) and the clients' timeouts/retries. */
  rateLimits?: RateLimits;
  rxscaleTimeoutMs?: number;
  rxscaleRetry?: RetryOptions;
  /** Consumer: where a new group starts (default the beginning), poll waits. */
  fromBeginning?: boolean;
  maxWaitTimeMs?: number;
  relayPollIntervalMs?: number;
  commandBackoff?: BackoffPolicy;
  commandMaxAttempts?: number;
}

export interface OrderServiceApp {
  /** Not yet listening: `await app.startAllMicroservices()` is done; call `app.listen(port, host)`. */
  app: NestFastifyApplication;
  openApi: OpenAPIObject;
  metrics: ServiceMetrics;
  sources: RxscaleSources;
}

export function createOrderServiceLogger(config: OrderServiceConfig): ServiceLogger {
  return createLogger({ service: 'order-service', level: config.log.level });
}

/**
 * Builds the whole order service (docs/design.md "Order service"): migrations (the schema's plumbing, HTTP
 * idempotency and orders tables, under the kit's advisory lock), the RxScale sources (one client and rate
 * budget per key), the REST edge, the Kafka consumer with the outbox relay and the RxScale command relay
 * (OrderCommandExecutor; its settlements go to `commandSettled`), and the schedules. The consumer is started;
 * the HTTP server is not listening yet. `app.close()` stops everything in order and closes the pools.
 */
export async function createOrderServiceApp(
  config: OrderServiceConfig,
  logger: ServiceLogger = createOrderServiceLogger(config),
  overrides: OrderServiceOverrides = {},
): Promise<OrderServiceApp> {
  // a policy for a pharmacy no key serves is a typo or a missing key: refused before anything connects
  const configuredPharmacies = Object.keys(config.orders.stockPolicy.byPharmacy).map((uid) => ({
    uid,
    namedBy: 'ORDERS_OUT_OF_STOCK_POLICY_BY_PHARMACY',
  }));
  RxscaleSources.assertServes(config.rxscale, configuredPharmacies);
  const schema = overrides.schema ?? 'orders';
  const dataSource = createServiceDataSource({
    url: config.database.url,
    schema,
    migrations: [...orderServiceMigrations, ...httpEdgeMigrations],
    applicationName: 'rxbridge-order-service',
    // one connection per relay loop and per partition in work, 4 for the REST API, the outbox relay and jobs
    poolSize: 4 + config.orders.partitionsConcurrency + config.orders.commandConcurrency,
  });
  await dataSource.initialize();
  const budgetPool = new pg.Pool({ connectionString: config.database.url, max: 4 });
  let sources: RxscaleSources | undefined;
  let kafkaCheck: ReturnType<typeof kafkaHealthCheck> | undefined;
  try {
    await migrateServiceSchema(dataSource);
    const metrics = overrides.metrics ?? new ServiceMetrics({ service: 'order-service' });
    sources = await RxscaleSources.create(config.rxscale, {
      pool: budgetPool,
      pharmacies: configuredPharmacies,
      ...(overrides.rateLimits ? { rateLimits: overrides.rateLimits } : {}),
      client: {
        hooks: rxscaleMetricsHooks(metrics),
        userAgent: 'rxbridge-order-service',
        ...(overrides.rxscaleTimeoutMs ? { timeoutMs: overrides.rxscaleTimeoutMs } : {}),
        ...(overrides.rxscaleRetry ? { retry: overrides.rxscaleRetry } : {}),
      },
    });
    const cipher = overrides.cipher ?? new FieldCipher(config.patientData);
    kafkaCheck = kafkaHealthCheck({ brokers: config.kafka.brokers, clientId: config.kafka.clientId });
    const closing = { sources, kafkaCheck };
    const { app, openApi } = await createServiceHttpApp({
      service: 'order-service',
      module: OrderServiceModule.forRoot({
        config,
        dataSource,
        sources,
        cipher,
        clock: overrides.clock ?? systemClock,
        logger,
        metrics,
        startJobs: overrides.startJobs ?? true,
      }),
      config: config.http,
      logger,
      dataSource,
      // RxScale is reported, not required: its outage must not take the REST API out of service
      healthChecks: [
        databaseHealthCheck(dataSource),
        kafkaCheck,
        rxscaleReachabilityCheck(config.rxscale.sources),
      ],
      metrics,
      errorStatuses: Object.fromEntries(
        Object.entries(ORDER_ERRORS).map(([code, e]) => [code, e.httpStatus]),
      ),
    });
    const lifecycle = app.get(OrderLifecycleService);
    const executor = app.get(OrderCommandExecutor);
    const orderMetrics = app.get(OrderMetrics);
    const prefetch = app.get(OrderDetailPrefetch);
    const removeCollector = orderMetrics.collectFrom(metrics, dataSource);
    connectPlumbing(app, {
      kafka: { brokers: config.kafka.brokers, clientId: config.kafka.clientId },
      groupId: config.consumerGroup,
      topics: ORDER_SERVICE_TOPICS,
      partitionsConsumedConcurrently: config.orders.partitionsConcurrency,
      dataSource,
      logger,
      metrics,
      ...(overrides.fromBeginning !== undefined ? { fromBeginning: overrides.fromBeginning } : {}),
      ...(overrides.maxWaitTimeMs ? { maxWaitTimeMs: overrides.maxWaitTimeMs } : {}),
      prepare: prefetch.prepare,
      outboxRelay: overrides.relayPollIntervalMs ? { pollIntervalMs: overrides.relayPollIntervalMs } : true,
      commandRelay: {
        sources,
        execute: executor.execute,
        concurrency: config.orders.commandConcurrency,
        batchSize: config.orders.commandBatchSize,
        onOutcome: orderMetrics.observingSettlements(lifecycle.commandSettled),
        ...(overrides.relayPollIntervalMs ? { pollIntervalMs: overrides.relayPollIntervalMs } : {}),
        ...(overrides.commandBackoff ? { backoff: overrides.commandBackoff } : {}),
        ...(overrides.commandMaxAttempts ? { maxAttempts: overrides.commandMaxAttempts } : {}),
      },
    });
    // closed after the consumer and relays stopped (Nest runs shutdown hooks after disposing microservices)
    const closer: OnApplicationShutdown = {
      onApplicationShutdown: async () => {
        removeCollector();
        await closing.kafkaCheck.close();
        await closing.sources.close();
        await budgetPool.end();
        if (dataSource.isInitialized) await dataSource.destroy();
      },
    };
    const close = app.close.bind(app);
    app.close = async () => {
      try {
        await close();
      } finally {
        await closer.onApplicationShutdown();
      }
    };
    await app.startAllMicroservices();
    return { app, openApi, metrics, sources };
  } catch (error) {
    await kafkaCheck?.close().catch(() => undefined);
    await sources?.close().catch(() => undefined);
    await budgetPool.end().catch(() => undefined);
    if (dataSource.isInitialized) await dataSource.destroy();
    throw error;
  }
}
