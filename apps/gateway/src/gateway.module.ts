import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config/gateway-config.js';
import { GATEWAY_CONFIG, GATEWAY_LOGGER } from './gateway.tokens.js';
import { HealthController } from './health/health.controller.js';
import { KafkaIngestProducer } from './kafka/kafka-ingest.producer.js';
import { GatewayMetrics } from './metrics/gateway-metrics.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { VERIFY_WEBHOOK_SIGNATURE, verifyWithRxScaleClient } from './webhooks/signature-verifier.js';
import { WebhookController } from './webhooks/webhook.controller.js';
import { WebhookIngestService } from './webhooks/webhook-ingest.service.js';
import { WebhookSecretBook } from './webhooks/webhook-secrets.js';

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, logger: Logger): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [WebhookController, HealthController, MetricsController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: GATEWAY_LOGGER, useValue: logger },
        { provide: WebhookSecretBook, useValue: new WebhookSecretBook(config.webhooks.secrets) },
        { provide: VERIFY_WEBHOOK_SIGNATURE, useValue: verifyWithRxScaleClient },
        GatewayMetrics,
        KafkaIngestProducer,
        WebhookIngestService,
      ],
    };
  }
}
