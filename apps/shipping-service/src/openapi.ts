import { fileURLToPath } from 'node:url';
import { createLogger, loadConfig, type OpenAPIObject } from '@rxbridge/service-kit';
import { ShippingServiceConfig } from './config/shipping-service-config.js';
import { createShippingServiceApp } from './shipping-service-app.js';

/** Where the committed document lives, from this file (src/ or dist/). */
export const OPENAPI_FILE = fileURLToPath(
  new URL('../../../docs/api/shipping-service.json', import.meta.url),
);
export const OPENAPI_REGENERATE = 'pnpm --filter @rxbridge/shipping-service docs:api';

/**
 * The OpenAPI document of shipping-service's routes, from an app built without connecting anything. The
 * keys below are placeholders (the document does not depend on config values).
 */
export async function buildShippingServiceOpenApi(): Promise<OpenAPIObject> {
  const config = loadConfig(ShippingServiceConfig, {
    PATIENT_DATA_KEYS: JSON.stringify({ docs: Buffer.alloc(32).toString('base64') }),
    ORDER_SERVICE_TOKEN: 'rxb_docs-placeholder',
    HTTP_SHUTDOWN_DELAY_MS: '0',
  });
  const logger = createLogger({ service: 'shipping-service', level: 'silent' });
  const shipping = await createShippingServiceApp(config, logger, { documentOnly: true });
  const document = shipping.openApi;
  await shipping.app.close();
  return document;
}
