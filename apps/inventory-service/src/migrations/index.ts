import { httpEdgeMigrations, plumbingMigrations } from '@rxbridge/service-kit';
import { CreateInventory1792000000000 } from './1792000000000-create-inventory.js';
import { LedgerWithoutCorrection1792000000001 } from './1792000000001-ledger-without-correction.js';

/** inventory-service's migrations for schema "inventory": the kit's inbox/outbox and idempotency tables first. */
export const inventoryServiceMigrations = [
  ...plumbingMigrations,
  ...httpEdgeMigrations,
  CreateInventory1792000000000,
  LedgerWithoutCorrection1792000000001,
];
