// One-shot: this service's pending migrations, then exit (the deploy's migration Job, compose's
// migrate-shipping-service). The service also migrates at start; the advisory lock keeps the two apart.
import { runMigrateEntry } from '@rxbridge/service-kit';
import { shippingServiceMigrations } from './migrations/index.js';

process.exitCode = await runMigrateEntry({
  service: 'shipping-service',
  schema: 'shipping',
  migrations: shippingServiceMigrations,
});
