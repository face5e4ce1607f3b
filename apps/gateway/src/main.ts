import { CONFIG_EXIT_CODE, ConfigError } from '@rxbridge/service-kit';
import { loadGatewayConfig } from './config/gateway-config.js';
import { createGatewayApp, createGatewayLogger } from './gateway-app.js';

let config;
try {
  config = loadGatewayConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`[gateway] refusing to start: ${err.message}\n`);
  process.exit(CONFIG_EXIT_CODE);
}
const logger = createGatewayLogger(config);
const app = await createGatewayApp(config, logger);
await app.listen(config.http.port, config.http.host);
logger.info({ url: await app.getUrl(), sources: Object.keys(config.webhooks.secrets) }, 'gateway listening');
