// One-shot: this service's pending migrations, then exit (the deploy's migration Job, compose's
// migrate-inventory-service). The service also migrates at start; the advisory lock keeps the two apart.
import { runMigrateEntry } from '@rxbridge/service-kit';
import { inventoryServiceMigrations } from './migrations/index.js';

process.exitCode = await runMigrateEntry({
  service: 'inventory-service',
  schema: 'inventory',
  migrations: inventoryServiceMigrations,
});
