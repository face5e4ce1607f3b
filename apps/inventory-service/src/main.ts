import { CONFIG_EXIT_CODE, ConfigError } from '@rxbridge/service-kit';
import { loadInventoryServiceConfig } from './config/inventory-service-config.js';
import { createInventoryLogger, createInventoryServiceApp } from './inventory-service-app.js';

let config;
try {
  config = loadInventoryServiceConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`[inventory-service] refusing to start: ${err.message}\n`);
  process.exit(CONFIG_EXIT_CODE);
}
const logger = createInventoryLogger(config);
const { app } = await createInventoryServiceApp(config, logger);
await app.startAllMicroservices();
await app.listen(config.http.port, config.http.host);
logger.info(
  { url: await app.getUrl(), sources: config.rxscale.sources.map((s) => s.name) },
  'inventory-service listening',
);
