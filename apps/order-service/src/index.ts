export {
  loadOrderServiceConfig,
  OrderServiceConfigSchema,
  OrderServiceEnv,
  StockPolicyByPharmacySchema,
  stockPolicyFor,
  type OrderServiceConfig,
  type OrdersConfig,
  type StockPolicyConfig,
} from './config/order-service-config.js';
export * from './orders/order-lifecycle.js';
export {
  OrderLifecycleService,
  ORDER_LIFECYCLE_CONFIG,
  type OrderLifecycleConfig,
  type OrderRef,
  type ShipmentHandedOver,
  type LifecycleResult,
  type ReceiveResult,
} from './orders/order-lifecycle.service.js';
export {
  OrderRepository,
  WITHDRAWN_PREFIX,
  type OrderRow,
  type OrderLineRow,
  type HistoryRow,
  type OrderCommandRow,
} from './orders/order.repository.js';
export {
  PatientDataRetentionService,
  PATIENT_DATA_RETENTION_CONFIG,
  type PatientDataRetentionConfig,
} from './orders/patient-data-retention.service.js';
export { ORDER_ERRORS, OrderError, type OrderErrorCode } from './orders/order.errors.js';
export * from './patient-data/patient-data-cipher.js';
export * from './rxscale/order-commands.js';
export { OrderCommandExecutor } from './rxscale/order-command.executor.js';
export {
  RxScaleOrderDetailSource,
  ORDER_DETAIL_SOURCE,
  type OrderDetailSource,
  type FetchedOrder,
} from './rxscale/order-detail.source.js';
export {
  RXSCALE_CLIENT_SOURCE,
  singleClientSource,
  type RxScaleClientSource,
} from './rxscale/rxscale-client-source.js';
export { orderServiceMigrations } from './migrations/index.js';
export {
  createOrderServiceApp,
  createOrderServiceLogger,
  ORDER_SERVICE_TOPICS,
  type OrderServiceApp,
  type OrderServiceOverrides,
} from './order-service-app.js';
