export { createServiceDataSource, migrateServiceSchema, type ServiceDatabaseOptions } from './database/service-data-source.js';
export * from './config/index.js';
export * from './logging/index.js';
export * from './metrics/index.js';
export * from './health/index.js';
export * from './tracing/index.js';
