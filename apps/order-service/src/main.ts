import { CONFIG_EXIT_CODE, ConfigError, RxscaleSourceError } from '@rxbridge/service-kit';
import { loadOrderServiceConfig, type OrderServiceConfig } from './config/order-service-config.js';
import { createOrderServiceApp, createOrderServiceLogger } from './order-service-app.js';

let config: OrderServiceConfig;
try {
  config = loadOrderServiceConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`[order-service] refusing to start: ${err.message}\n`);
  process.exit(CONFIG_EXIT_CODE);
}
const logger = createOrderServiceLogger(config);
// SIGTERM: the kit's shutdown hooks answer /health/ready 503 for the shutdown delay, then close the HTTP
// server, the consumer (finish, commit, leave), the relays, the schedules and the pools.
const { app, sources } = await createOrderServiceApp(config, logger).catch((err: unknown) => {
  // a pharmacy the config names but no source serves: a config mistake, refused like one
  if (!(err instanceof RxscaleSourceError)) throw err;
  process.stderr.write(`[order-service] refusing to start: ${err.message}\n`);
  process.exit(CONFIG_EXIT_CODE);
});
await app.listen(config.http.port, config.http.host);
logger.info(
  { url: await app.getUrl(), sources: sources.sources().map((s) => s.name) },
  'order-service listening',
);
