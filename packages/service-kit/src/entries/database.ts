// @rxbridge/service-kit/database: a service's TypeORM data source and its migration run, and the HTTP edge's
// migrations (typeorm and pg, nothing of Nest), for tools such as the CLI's `migrate`. The services keep
// using the main entry.
export {
  createServiceDataSource,
  migrateServiceSchema,
  type ServiceDatabaseOptions,
} from '../database/service-data-source.js';
export {
  httpEdgeMigrations,
  CreateHttpIdempotencyKey1790000000100,
  AddHttpIdempotencyContentHash1790000000101,
} from '../http/idempotency.migration.js';
