export { createServiceDataSource, migrateServiceSchema, type ServiceDatabaseOptions } from './database/service-data-source.js';
