export {
  loadGatewayConfig,
  GatewayConfigSchema,
  WebhookSecretsSchema,
  type GatewayConfig,
  type WebhookSecrets,
} from './config/gateway-config.js';
export { createGatewayApp, createGatewayLogger } from './gateway-app.js';
export { RxScaleHeaders } from './events/rxscale-cloud-event.js';
export type { WebhookProducer } from './kafka/kafka-ingest.producer.js';
