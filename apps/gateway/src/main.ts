import { GatewayConfigError, loadGatewayConfig } from './config/gateway-config.js';
import { createGatewayApp, createGatewayLogger } from './gateway-app.js';

let config;
try {
  config = loadGatewayConfig(process.env);
} catch (err) {
  if (!(err instanceof GatewayConfigError)) throw err;
  console.error(`[gateway] refusing to start: ${err.message}`);
  process.exit(1);
}
const logger = createGatewayLogger(config);
const app = await createGatewayApp(config, logger);
await app.listen(config.http.port, config.http.host);
logger.info({ url: await app.getUrl(), sources: Object.keys(config.webhooks.secrets) }, 'gateway listening');
