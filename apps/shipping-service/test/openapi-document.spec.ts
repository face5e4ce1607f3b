import {
  assertOpenApiDocumentCurrent,
  writeOpenApiDocument,
  type OpenAPIObject,
} from '@rxbridge/service-kit';
import { buildShippingServiceOpenApi, OPENAPI_FILE, OPENAPI_REGENERATE } from '../src/openapi.js';

describe('docs/api/shipping-service.json', () => {
  let document: OpenAPIObject;
  beforeAll(async () => {
    document = await buildShippingServiceOpenApi();
    if (process.env.RXBRIDGE_WRITE_API_DOCS === '1') writeOpenApiDocument(document, OPENAPI_FILE);
  });

  it('documents the shipping routes of BRIEF.md with their scopes', () => {
    const scopes = Object.fromEntries(
      Object.entries(document.paths).flatMap(([path, item]) =>
        Object.entries(item as Record<string, { 'x-required-scopes'?: string[] }>).map(([method, op]) => [
          `${method.toUpperCase()} ${path}`,
          op['x-required-scopes'],
        ]),
      ),
    );
    expect(scopes).toEqual({
      'POST /shipments/{pharmacy_order_uid}/dispatch': ['shipments:write'],
      'POST /shipments/{pharmacy_order_uid}/hand-over': ['shipments:write'],
      'POST /shipments/{pharmacy_order_uid}/delivered': ['shipments:write'],
      'GET /shipments': ['shipments:read'],
      'GET /shipments/{pharmacy_order_uid}': ['shipments:read'],
      'POST /operations/retention': ['operator'],
    });
  });

  it('is current', () => {
    assertOpenApiDocumentCurrent(document, OPENAPI_FILE, OPENAPI_REGENERATE);
  });
});
