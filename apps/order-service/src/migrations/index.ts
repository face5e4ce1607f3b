import { plumbingMigrations } from '@rxbridge/service-kit';
import { CreateOrders1791000000000 } from './1791000000000-create-orders.js';
import { AddRefusedFrom1791000000001 } from './1791000000001-add-refused-from.js';

/** Everything the orders schema needs, in order: service-kit's inbox/outbox/command tables, then ours. */
export const orderServiceMigrations = [
  ...plumbingMigrations,
  CreateOrders1791000000000,
  AddRefusedFrom1791000000001,
];
