import { Topics } from '@rxbridge/contracts';
import {
  connectPlumbing,
  createLogger,
  createServiceDataSource,
  databaseHealthCheck,
  FieldCipher,
  kafkaHealthCheck,
  migrateServiceSchema,
  createServiceHttpApp,
  ServiceMetrics,
  systemClock,
  type Clock,
  type OpenAPIObject,
  type PlumbingServerOptions,
  type ServiceLogger,
} from '@rxbridge/service-kit';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type DataSource } from 'typeorm';
import { type ShippingServiceConfig } from './config/shipping-service-config.js';
import { SHIPMENT_ERROR_STATUSES } from './http/shipment-error-statuses.js';
import { ShippingMetrics } from './metrics/shipping-metrics.js';
import { shippingServiceMigrations } from './migrations/index.js';
import { OrderServiceAddressSource } from './orders/order-service-address.source.js';
import { ShippingServiceModule } from './shipping-service.module.js';

export const SERVICE_NAME = 'shipping-service';
/** The service's own schema (BRIEF: `orders`, `inventory`, `shipping`). */
export const SHIPPING_SCHEMA = 'shipping';

export interface ShippingServiceOverrides {
  /** Another schema (tests: one of their own). */
  schema?: string;
  clock?: Clock;
  metrics?: ServiceMetrics;
  /** Retry and batching settings of the consumer (tests shorten the backoff). */
  plumbing?: Pick<
    PlumbingServerOptions,
    'backoff' | 'maxAttempts' | 'parked' | 'recordsPerTransaction' | 'maxWaitTimeMs' | 'sessionTimeoutMs'
  >;
  outboxRelay?: { pollIntervalMs?: number };
  /**
   * Build the routes only, connecting nothing (no database, no Kafka, no schedule): for writing the
   * OpenAPI document.
   */
  documentOnly?: boolean;
}

export interface ShippingServiceApp {
  app: NestFastifyApplication;
  openApi: OpenAPIObject;
  dataSource: DataSource;
  metrics: ServiceMetrics;
  /** Starts consuming and listens; answers the base URL. */
  start(port?: number, host?: string): Promise<string>;
}

export function createShippingServiceLogger(config: ShippingServiceConfig): ServiceLogger {
  return createLogger({ service: SERVICE_NAME, level: config.log.level });
}

/**
 * Builds the whole of shipping-service: migrations (under the kit's advisory lock), the REST edge (tokens,
 * scopes, zod, idempotency, health, /metrics, /docs), the consumer of pharmacy.orders.v1 with its outbox
 * relay to pharmacy.shipments.v1, the retention schedule and the delivery-address client of order-service.
 * Not yet listening: `start()` (or `app.startAllMicroservices()` then `app.listen`).
 */
export async function createShippingServiceApp(
  config: ShippingServiceConfig,
  logger: ServiceLogger,
  overrides: ShippingServiceOverrides = {},
): Promise<ShippingServiceApp> {
  const connect = !overrides.documentOnly;
  const dataSource = createServiceDataSource({
    url: config.database.url,
    schema: overrides.schema ?? SHIPPING_SCHEMA,
    migrations: shippingServiceMigrations,
  });
  if (connect) {
    await dataSource.initialize();
    try {
      await migrateServiceSchema(dataSource);
    } catch (error) {
      await dataSource.destroy();
      throw error;
    }
  }
  const metrics = overrides.metrics ?? new ServiceMetrics({ service: SERVICE_NAME });
  const shippingMetrics = new ShippingMetrics(metrics, dataSource);
  const kafkaHealth = kafkaHealthCheck(config.kafka);

  const { app, openApi } = await createServiceHttpApp({
    service: SERVICE_NAME,
    module: ShippingServiceModule.forRoot({
      shipping: config.shipping,
      dataSource,
      cipher: new FieldCipher(config.crypto),
      addressSource: new OrderServiceAddressSource(config.orderService),
      clock: overrides.clock ?? systemClock,
      metrics: shippingMetrics,
      logger,
      schedules: connect,
      onShutdown: async () => {
        await kafkaHealth.close();
        if (dataSource.isInitialized) await dataSource.destroy();
      },
    }),
    config: config.http,
    logger,
    dataSource,
    metrics,
    healthChecks: [databaseHealthCheck(dataSource), kafkaHealth],
    errorStatuses: SHIPMENT_ERROR_STATUSES,
  });

  if (connect) {
    connectPlumbing(app, {
      kafka: config.kafka,
      groupId: config.consumerGroup,
      topics: [Topics.pharmacyOrders.name],
      dataSource,
      logger,
      metrics,
      outboxRelay: overrides.outboxRelay ?? true,
      ...overrides.plumbing,
    });
  }

  return {
    app,
    openApi,
    dataSource,
    metrics,
    async start(port = config.http.port, host = config.http.host) {
      await app.startAllMicroservices();
      await app.listen(port, host);
      return (await app.getUrl()).replace('[::1]', '127.0.0.1');
    },
  };
}
