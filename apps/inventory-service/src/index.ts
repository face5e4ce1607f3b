export { inventoryServiceMigrations } from './migrations/index.js';
export { CreateInventory1792000000000 } from './migrations/1792000000000-create-inventory.js';
export {
  loadInventoryServiceConfig,
  InventoryServiceConfigSchema,
  InventoryServiceEnv,
  INVENTORY_SERVICE_PORT,
  INVENTORY_CONSUMER_GROUP,
  type InventoryServiceConfig,
} from './config/inventory-service-config.js';
export {
  parseStockCsv,
  parseStockJson,
  DEFAULT_STOCK_INGEST_LIMITS,
  MAX_ON_HAND,
  type StockIngestItem,
  type StockIngestLimits,
  type StockLevelLine,
  type RejectedStockLine,
  type UploadSource,
} from './stock/stock-ingest.js';
export {
  StockUploadError,
  StockUploadErrorCodes,
  StockLineRejectionCodes,
  StockError,
  StockErrorCodes,
  type StockUploadErrorCode,
  type StockLineRejectionCode,
  type StockErrorCode,
} from './stock/stock.errors.js';
export {
  StockLevelService,
  type SetStockLevelsInput,
  type SetStockLevelInput,
  type ReadStockLevelsInput,
  type StockUploadResult,
} from './stock/stock-level.service.js';
export {
  StockRepository,
  type ArticleChange,
  type ArticleLevel,
  type LedgerCause,
} from './stock/stock.repository.js';
export {
  StockReservationService,
  type ReserveResult,
  type SettleResult,
} from './reservations/stock-reservation.service.js';
export { ReservationRepository, type ReservationState } from './reservations/reservation.repository.js';
export { ReservationError, ReservationErrorCodes } from './reservations/reservation.errors.js';
export { PharmacySkuRepository, type PushState } from './skus/pharmacy-sku.repository.js';
export {
  StockDriftService,
  type RxscaleStockReport,
  type StockReportResult,
} from './skus/stock-drift.service.js';
export { SkuSyncService, type SkuSyncInput, type SkuSyncResult } from './skus/sku-sync.service.js';
export { SkuSyncRunner } from './skus/sku-sync.runner.js';
export {
  InventoryCommandExecutor,
  INVENTORY_COMMAND_OBSERVER,
  type InventoryCommandObserver,
  type StockPushOutcome,
} from './rxscale/inventory-command.executor.js';
export {
  InventoryCommandKinds,
  InventoryCommandPriorities,
  SkuStockPayload,
  SkuExternalIdPayload,
} from './rxscale/inventory-commands.js';
export {
  RXSCALE_CLIENTS,
  type RxscaleClientPort,
  type InventoryRxscaleClient,
} from './rxscale/rxscale-client.port.js';
export {
  createInventoryServiceApp,
  createInventoryLogger,
  INVENTORY_ERROR_STATUSES,
  INVENTORY_SCHEMA,
  type InventoryServiceApp,
  type InventoryServiceOverrides,
} from './inventory-service-app.js';
export { InventoryServiceModule } from './inventory-service.module.js';
export { InventoryMetrics } from './metrics/inventory-metrics.js';
export { inventoryOpenApiDocument } from './openapi.js';
