// Writes docs/api/inventory-service.json from the routes as built (`pnpm --filter @rxbridge/inventory-service generate`).
import { fileURLToPath } from 'node:url';
import { writeOpenApiDocument } from '@rxbridge/service-kit';
import { inventoryOpenApiDocument } from './openapi.js';

const file = fileURLToPath(new URL('../../../docs/api/inventory-service.json', import.meta.url));
writeOpenApiDocument(await inventoryOpenApiDocument(), file);
process.stdout.write(`wrote ${file}\n`);
