import 'reflect-metadata';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Topics } from '@rxbridge/contracts';
import {
  connectPlumbing,
  createLogger,
  createServiceDataSource,
  createServiceHttpApp,
  databaseHealthCheck,
  kafkaHealthCheck,
  migrateServiceSchema,
  rxscaleMetricsHooks,
  rxscaleReachabilityCheck,
  RxscaleSources,
  ServiceMetrics,
  systemClock,
  type Clock,
  type DomainErrorStatuses,
  type ServiceLogger,
} from '@rxbridge/service-kit';
import type { OpenAPIObject } from '@nestjs/swagger';
import { type DataSource } from 'typeorm';
import { type InventoryServiceConfig } from './config/inventory-service-config.js';
import { installCsvUploadParser } from './http/csv-upload-body.js';
import { InventoryJobs } from './jobs/inventory-jobs.js';
import { InventoryServiceModule } from './inventory-service.module.js';
import { InventoryMetrics } from './metrics/inventory-metrics.js';
import { inventoryServiceMigrations } from './migrations/index.js';
import { InventoryCommandExecutor } from './rxscale/inventory-command.executor.js';
import { ReservationErrorCodes } from './reservations/reservation.errors.js';
import { StockErrorCodes, StockUploadErrorCodes } from './stock/stock.errors.js';

type SourcesOptions = NonNullable<Parameters<typeof RxscaleSources.create>[1]>;

export const INVENTORY_SCHEMA = 'inventory';

/** The phase-1 error codes and their HTTP statuses, in one place. */
export const INVENTORY_ERROR_STATUSES: DomainErrorStatuses = {
  stock_level_invalid: 422,
  article_not_found: 404,
  upload_too_large: 413,
  too_many_lines: 413,
  csv_malformed: 400,
  csv_header_invalid: 400,
  upload_json_invalid: 400,
  order_line_unidentified: 422,
} satisfies Record<
  keyof typeof StockErrorCodes | keyof typeof StockUploadErrorCodes | keyof typeof ReservationErrorCodes,
  number
>;

export interface InventoryServiceOverrides {
  /** Schema of the service (tests: one of their own). Default `inventory`. */
  schema?: string;
  clock?: Clock;
  /** false: the schedules do not start on their own (the operations routes still run them). Default true. */
  startJobs?: boolean;
  /** Nothing connects (no database, no broker): for writing the OpenAPI document. */
  documentOnly?: boolean;
}

export interface InventoryServiceApp {
  app: NestFastifyApplication;
  openApi: OpenAPIObject;
  dataSource: DataSource;
  metrics: InventoryMetrics;
  jobs: InventoryJobs;
}

export function createInventoryLogger(config: InventoryServiceConfig): ServiceLogger {
  return createLogger({ service: 'inventory-service', level: config.logLevel });
}

/**
 * Builds the whole service, not yet listening: migrations (under the kit's advisory lock), the RxScale
 * sources (one client and rate budget per key), the REST edge with the streamed CSV parser, the Kafka
 * consumer (pharmacy.orders.v1, rxscale.pharmacy-skus.v1) with the outbox relay and the RxScale command
 * relay running the inventory executor, and the schedules. `listen()` starts the consumer and relays
 * (startAllMicroservices) before the HTTP server; closing the app drains all of it.
 */
export async function createInventoryServiceApp(
  config: InventoryServiceConfig,
  logger: ServiceLogger = createInventoryLogger(config),
  overrides: InventoryServiceOverrides = {},
): Promise<InventoryServiceApp> {
  const dataSource = createServiceDataSource({
    url: config.database.url,
    schema: overrides.schema ?? INVENTORY_SCHEMA,
    migrations: inventoryServiceMigrations,
    applicationName: 'rxbridge-inventory-service',
  });
  const serviceMetrics = new ServiceMetrics({ service: 'inventory-service' });
  const metrics = new InventoryMetrics(serviceMetrics);
  const cleanups: (() => Promise<void>)[] = [];
  let sources: RxscaleSources | undefined;
  if (!overrides.documentOnly) {
    await dataSource.initialize();
    cleanups.push(() => dataSource.destroy());
    await migrateServiceSchema(dataSource);
    // the data source's pool holds the rate budgets' rows too (PostgresRateBudget, shared fleet-wide per key)
    const pool = (dataSource.driver as unknown as { master: NonNullable<SourcesOptions['pool']> }).master;
    sources = await RxscaleSources.create(config.rxscale, {
      pool,
      client: { hooks: rxscaleMetricsHooks(serviceMetrics) },
      pharmacies: config.rxscale.sources.flatMap((s) => s.pharmacies),
    });
    const resolved = sources;
    cleanups.unshift(() => resolved.close());
  }
  const clients = {
    clientFor: (pharmacyUid: string) => {
      if (!sources) throw new Error('RxScale sources are not connected (document-only app)');
      return sources.clientFor(pharmacyUid);
    },
    serves: (pharmacyUid: string) => sources?.sourceOf(pharmacyUid) !== undefined,
  };
  const kafkaCheck = overrides.documentOnly ? undefined : kafkaHealthCheck(config.kafka);
  if (kafkaCheck) cleanups.unshift(() => kafkaCheck.close());
  const settings = {
    logger,
    rxscale: config.rxscale,
    upload: config.upload,
    skuSyncIntervalSeconds: config.skuSyncIntervalSeconds,
    reconcileIntervalSeconds: config.reconcileIntervalSeconds,
    pushCoalesceMs: config.pushCoalesceMs,
    pushMaxDelayMs: config.pushMaxDelayMs,
    startJobs: !overrides.documentOnly && overrides.startJobs !== false,
  };
  const { app, openApi } = await createServiceHttpApp({
    service: 'inventory-service',
    module: {
      module: class InventoryServiceRoot {
        async onApplicationShutdown(): Promise<void> {
          for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
        }
      },
      imports: [
        InventoryServiceModule.forRoot({
          dataSource,
          clients,
          clock: overrides.clock ?? systemClock,
          metrics,
          settings,
        }),
      ],
    },
    config: config.http,
    logger,
    dataSource,
    metrics: serviceMetrics,
    // RxScale is reported, not required: its outage must not take the REST API (stock levels) out of service
    healthChecks: [
      databaseHealthCheck(dataSource),
      ...(kafkaCheck ? [kafkaCheck] : []),
      rxscaleReachabilityCheck(config.rxscale.sources),
    ],
    errorStatuses: INVENTORY_ERROR_STATUSES,
  });
  installCsvUploadParser(app.getHttpAdapter().getInstance(), config.upload);
  if (!overrides.documentOnly) {
    metrics.collectFrom(dataSource);
    const executor = app.get(InventoryCommandExecutor);
    connectPlumbing(app, {
      kafka: { brokers: config.kafka.brokers, clientId: config.kafka.clientId },
      groupId: config.kafka.groupId,
      topics: [Topics.pharmacyOrders.name, Topics.rxscalePharmacySkus.name],
      dataSource,
      logger,
      metrics: serviceMetrics,
      outboxRelay: { listenUrl: config.database.url },
      // polled every 250 ms: a push delayed for coalescing is due without a NOTIFY
      commandRelay: {
        sources: sources!,
        execute: executor.execute,
        listenUrl: config.database.url,
        pollIntervalMs: 250,
      },
    });
  }
  return { app, openApi, dataSource, metrics, jobs: app.get(InventoryJobs) };
}
