import { CONFIG_EXIT_CODE, ConfigError, loadConfig } from '@rxbridge/service-kit';
import { ShippingServiceConfig } from './config/shipping-service-config.js';
import { createShippingServiceApp, createShippingServiceLogger } from './shipping-service-app.js';

let config;
try {
  config = loadConfig(ShippingServiceConfig, process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`[shipping-service] refusing to start: ${err.message}\n`);
  process.exit(CONFIG_EXIT_CODE);
}
const logger = createShippingServiceLogger(config);
// SIGTERM: the edge's shutdown delay (ready → 503), then the server, the consumer and relay, the schedule
const shipping = await createShippingServiceApp(config, logger);
const url = await shipping.start();
logger.info({ url, group: config.consumerGroup }, 'shipping-service listening');
