import { Module, type DynamicModule } from '@nestjs/common';
import { CLOCK, type Clock } from '@rxbridge/service-kit';
import { DataSource } from 'typeorm';
import { InventoryJobs } from './jobs/inventory-jobs.js';
import { INVENTORY_SETTINGS, type InventorySettings } from './inventory.tokens.js';
import { OperationsController } from './http/operations.controller.js';
import { StockController } from './http/stock.controller.js';
import { OrderEventsHandler } from './kafka/order-events.handler.js';
import { SkuEventsHandler } from './kafka/sku-events.handler.js';
import { InventoryMetrics } from './metrics/inventory-metrics.js';
import { ReservationRepository } from './reservations/reservation.repository.js';
import { StockReservationService } from './reservations/stock-reservation.service.js';
import {
  INVENTORY_COMMAND_OBSERVER,
  InventoryCommandExecutor,
} from './rxscale/inventory-command.executor.js';
import { RXSCALE_CLIENTS, type RxscaleClientPort } from './rxscale/rxscale-client.port.js';
import { PharmacySkuRepository, STOCK_PUSH_TIMING } from './skus/pharmacy-sku.repository.js';
import { SkuSyncRunner } from './skus/sku-sync.runner.js';
import { SkuSyncService } from './skus/sku-sync.service.js';
import { StockDriftService } from './skus/stock-drift.service.js';
import { StockReconciler } from './skus/stock-reconciler.js';
import { StockLevelService } from './stock/stock-level.service.js';
import { StockRepository } from './stock/stock.repository.js';

export interface InventoryModuleOptions {
  dataSource: DataSource;
  clients: RxscaleClientPort;
  clock: Clock;
  metrics: InventoryMetrics;
  settings: InventorySettings;
}

/** inventory-service's Nest module: phase 1's use cases, the Kafka handlers, the REST controllers, the jobs. */
@Module({})
export class InventoryServiceModule {
  static forRoot(options: InventoryModuleOptions): DynamicModule {
    return {
      module: InventoryServiceModule,
      controllers: [StockController, OperationsController, OrderEventsHandler, SkuEventsHandler],
      providers: [
        { provide: DataSource, useValue: options.dataSource },
        { provide: CLOCK, useValue: options.clock },
        { provide: RXSCALE_CLIENTS, useValue: options.clients },
        { provide: InventoryMetrics, useValue: options.metrics },
        { provide: INVENTORY_COMMAND_OBSERVER, useValue: options.metrics },
        { provide: INVENTORY_SETTINGS, useValue: options.settings },
        {
          provide: STOCK_PUSH_TIMING,
          useValue: { delayMs: options.settings.pushCoalesceMs, maxDelayMs: options.settings.pushMaxDelayMs },
        },
        StockRepository,
        PharmacySkuRepository,
        ReservationRepository,
        StockLevelService,
        StockReservationService,
        StockDriftService,
        SkuSyncService,
        SkuSyncRunner,
        StockReconciler,
        InventoryCommandExecutor,
        InventoryJobs,
      ],
    };
  }
}
