// One-shot: this service's pending migrations, then exit (the deploy's migration Job, compose's
// migrate-order-service). The service also migrates at start; the advisory lock keeps the two apart.
import { httpEdgeMigrations, runMigrateEntry } from '@rxbridge/service-kit';
import { orderServiceMigrations } from './migrations/index.js';

process.exitCode = await runMigrateEntry({
  service: 'order-service',
  schema: 'orders',
  // the same list the service migrates at start (order-service-app.ts)
  migrations: [...orderServiceMigrations, ...httpEdgeMigrations],
});
