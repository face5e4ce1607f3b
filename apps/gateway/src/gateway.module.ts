import { type DynamicModule, Module } from '@nestjs/common';
import { HealthModule, MetricsModule, ServiceMetrics, type ServiceLogger } from '@rxbridge/service-kit';
import type { GatewayConfig } from './config/gateway-config.js';
import { GATEWAY_CONFIG, GATEWAY_LOGGER } from './gateway.tokens.js';
import { KafkaIngestProducer } from './kafka/kafka-ingest.producer.js';
import { GatewayMetrics } from './metrics/gateway-metrics.js';
import { VERIFY_WEBHOOK_SIGNATURE, verifyWithRxScaleClient } from './webhooks/signature-verifier.js';
import { WebhookController } from './webhooks/webhook.controller.js';
import { WebhookIngestService } from './webhooks/webhook-ingest.service.js';
import { WebhookSecretBook } from './webhooks/webhook-secrets.js';

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, logger: ServiceLogger): DynamicModule {
    return {
      module: GatewayModule,
      // Global so that HealthModule's factory can inject the producer for /health/ready.
      global: true,
      imports: [
        MetricsModule.forRoot(new ServiceMetrics({ service: 'gateway' })),
        HealthModule.forRoot({
          useFactory: (producer: KafkaIngestProducer) => [producer.readinessCheck()],
          inject: [KafkaIngestProducer],
        }),
      ],
      controllers: [WebhookController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: GATEWAY_LOGGER, useValue: logger },
        { provide: WebhookSecretBook, useValue: new WebhookSecretBook(config.webhooks.secrets) },
        { provide: VERIFY_WEBHOOK_SIGNATURE, useValue: verifyWithRxScaleClient },
        GatewayMetrics,
        KafkaIngestProducer,
        WebhookIngestService,
      ],
      exports: [KafkaIngestProducer],
    };
  }
}
