import { httpEdgeMigrations, plumbingMigrations } from '@rxbridge/service-kit';
import { CreateShippingTables1793000000000 } from './1793000000000-create-shipping-tables.js';

/** shipping-service's migrations for schema "shipping": the kit's inbox/outbox and idempotency tables first. */
export const shippingServiceMigrations = [
  ...plumbingMigrations,
  ...httpEdgeMigrations,
  CreateShippingTables1793000000000,
];
