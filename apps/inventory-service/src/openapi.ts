import { type OpenAPIObject } from '@nestjs/swagger';
import { loadInventoryServiceConfig } from './config/inventory-service-config.js';
import { createInventoryServiceApp } from './inventory-service-app.js';
import { createLogger } from '@rxbridge/service-kit';

/** The service's OpenAPI document, from an app that connects to nothing. */
export async function inventoryOpenApiDocument(): Promise<OpenAPIObject> {
  const config = loadInventoryServiceConfig({
    RXSCALE_BASE_URL: 'http://127.0.0.1:4010/v1/external-pharmacy-api-v1',
    RXSCALE_API_KEY: 'document-only',
    RXSCALE_PHARMACY_UID: 'ph-document',
    HTTP_SHUTDOWN_DELAY_MS: '0',
  });
  const { app, openApi } = await createInventoryServiceApp(
    config,
    createLogger({ service: 'inventory-service', level: 'silent' }),
    { documentOnly: true },
  );
  await app.close();
  return openApi;
}
