// Writes docs/api/shipping-service.json (`pnpm --filter @rxbridge/shipping-service docs:api`); the staleness
// test (test/openapi-document.spec.ts) fails until the committed file matches the routes.
import { writeOpenApiDocument } from '@rxbridge/service-kit';
import { buildShippingServiceOpenApi, OPENAPI_FILE } from './openapi.js';

writeOpenApiDocument(await buildShippingServiceOpenApi(), OPENAPI_FILE);
process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
