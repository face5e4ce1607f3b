import { fileURLToPath } from 'node:url';
import { assertOpenApiDocumentCurrent } from '@rxbridge/service-kit';
import { inventoryOpenApiDocument } from '../src/openapi.js';

describe('docs/api/inventory-service.json', () => {
  it('is the document the routes build (regenerate with `pnpm --filter @rxbridge/inventory-service generate`)', async () => {
    const doc = await inventoryOpenApiDocument();
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/metrics',
      '/operations/reconcile',
      '/operations/sku-sync',
      '/operations/stock-push',
      '/pharmacies/{pharmacy_uid}/skus/unmapped',
      '/pharmacies/{pharmacy_uid}/stock',
      '/pharmacies/{pharmacy_uid}/stock/{article_id}',
    ]);
    assertOpenApiDocumentCurrent(
      doc,
      fileURLToPath(new URL('../../../docs/api/inventory-service.json', import.meta.url)),
      'pnpm --filter @rxbridge/inventory-service generate',
    );
  });
});
