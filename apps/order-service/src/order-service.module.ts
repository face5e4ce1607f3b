import { Module, type DynamicModule } from '@nestjs/common';
import {
  CLOCK,
  type Clock,
  type RxscaleSources,
  type ServiceLogger,
  type ServiceMetrics,
} from '@rxbridge/service-kit';
import { DataSource } from 'typeorm';
import { type OrderServiceConfig } from './config/order-service-config.js';
import { OperationsController } from './http/operations.controller.js';
import { OrderQueries } from './http/order-queries.js';
import { OrdersController } from './http/orders.controller.js';
import { OrderJobs } from './jobs/order-jobs.js';
import { orderSafetyNetJob } from './jobs/order-safety-net.job.js';
import { patientDataRetentionJob } from './jobs/patient-data-retention.job.js';
import { OrderIntake } from './kafka/order-intake.js';
import { RxscaleOrdersHandler } from './kafka/rxscale-orders.handler.js';
import { ShipmentEventsHandler } from './kafka/shipment-events.handler.js';
import { StockEventsHandler } from './kafka/stock-events.handler.js';
import { UnknownOrderEvents } from './kafka/unknown-order.js';
import { OrderMetrics } from './metrics/order-metrics.js';
import { ORDER_SERVICE_LOGGER } from './order-service.logger.js';
import { OrderLifecycleService, ORDER_LIFECYCLE_CONFIG } from './orders/order-lifecycle.service.js';
import { OrderRepository } from './orders/order.repository.js';
import { OrderRetryService } from './orders/order-retry.service.js';
import {
  PatientDataRetentionService,
  PATIENT_DATA_RETENTION_CONFIG,
} from './orders/patient-data-retention.service.js';
import { PATIENT_DATA_CIPHER, type PatientDataCipher } from './patient-data/patient-data-cipher.js';
import { OrderCommandExecutor } from './rxscale/order-command.executor.js';
import { ORDER_DETAIL_SOURCE, RxScaleOrderDetailSource } from './rxscale/order-detail.source.js';
import { OrderDetailPrefetch } from './rxscale/order-detail-prefetch.js';
import { RXSCALE_CLIENT_SOURCE } from './rxscale/rxscale-client-source.js';

/** What the app builds before the module: the schema's data source, the RxScale sources, the cipher. */
export interface OrderServiceDeps {
  config: OrderServiceConfig;
  dataSource: DataSource;
  sources: RxscaleSources;
  cipher: PatientDataCipher;
  clock: Clock;
  logger: ServiceLogger;
  metrics: ServiceMetrics;
  /** Start the safety net and the retention schedule with the app (default true; tests run them by route). */
  startJobs: boolean;
}

const RETENTION_BATCH = 500;

@Module({})
export class OrderServiceModule {
  static forRoot(deps: OrderServiceDeps): DynamicModule {
    return {
      module: OrderServiceModule,
      controllers: [
        RxscaleOrdersHandler,
        StockEventsHandler,
        ShipmentEventsHandler,
        OrdersController,
        OperationsController,
      ],
      providers: [
        { provide: DataSource, useValue: deps.dataSource },
        { provide: CLOCK, useValue: deps.clock },
        { provide: ORDER_SERVICE_LOGGER, useValue: deps.logger },
        { provide: PATIENT_DATA_CIPHER, useValue: deps.cipher },
        { provide: RXSCALE_CLIENT_SOURCE, useValue: deps.sources },
        { provide: ORDER_LIFECYCLE_CONFIG, useValue: { stockPolicy: deps.config.orders.stockPolicy } },
        {
          provide: PATIENT_DATA_RETENTION_CONFIG,
          useValue: {
            retentionDays: deps.config.orders.patientDataRetentionDays,
            batchSize: RETENTION_BATCH,
          },
        },
        { provide: OrderMetrics, useValue: new OrderMetrics(deps.metrics) },
        { provide: ORDER_DETAIL_SOURCE, useClass: RxScaleOrderDetailSource },
        OrderRepository,
        OrderLifecycleService,
        OrderRetryService,
        PatientDataRetentionService,
        OrderCommandExecutor,
        OrderDetailPrefetch,
        OrderIntake,
        UnknownOrderEvents,
        OrderQueries,
        {
          provide: OrderJobs,
          inject: [OrderIntake, OrderRepository, PatientDataRetentionService, OrderMetrics],
          useFactory: (
            intake: OrderIntake,
            orders: OrderRepository,
            retention: PatientDataRetentionService,
            metrics: OrderMetrics,
          ) =>
            new OrderJobs(
              orderSafetyNetJob({
                dataSource: deps.dataSource,
                sources: deps.sources,
                intake,
                orders,
                metrics,
                logger: deps.logger.child({ component: 'order-safety-net' }),
                intervalMs: deps.config.orders.safetyNetIntervalMs,
                maxPages: deps.config.orders.safetyNetMaxPages,
              }),
              patientDataRetentionJob({
                dataSource: deps.dataSource,
                retention,
                logger: deps.logger.child({ component: 'patient-data-retention' }),
                intervalMs: deps.config.orders.retentionIntervalMs,
              }),
              deps.startJobs,
            ),
        },
      ],
    };
  }
}
