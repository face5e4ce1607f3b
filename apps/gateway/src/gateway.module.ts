import { type DynamicModule, Module } from '@nestjs/common';
import { HealthModule, MetricsModule, ServiceMetrics, type ServiceLogger } from '@rxbridge/service-kit';
import type { GatewayConfig } from './config/gateway-config.js';
import { GATEWAY_CONFIG, GATEWAY_LOGGER, WEBHOOK_PRODUCER } from './gateway.tokens.js';
import { KafkaIngestProducer, type WebhookProducer } from './kafka/kafka-ingest.producer.js';
import { GatewayMetrics } from './metrics/gateway-metrics.js';
import { VERIFY_WEBHOOK_SIGNATURE, verifyWithRxScaleClient } from './webhooks/signature-verifier.js';
import { WebhookController } from './webhooks/webhook.controller.js';
import { WebhookIngestService } from './webhooks/webhook-ingest.service.js';
import { WebhookSecretBook } from './webhooks/webhook-secrets.js';

@Module({})
export class GatewayModule {
  /** `producer` replaces the Kafka producers (tests of what happens before and after Kafka). */
  static forRoot(config: GatewayConfig, logger: ServiceLogger, producer?: WebhookProducer): DynamicModule {
    return {
      module: GatewayModule,
      // Global so that HealthModule's factory can inject the producer for /health/ready.
      global: true,
      imports: [
        MetricsModule.forRoot(new ServiceMetrics({ service: 'gateway' })),
        HealthModule.forRoot({
          useFactory: (webhookProducer: WebhookProducer) => [webhookProducer.readinessCheck()],
          inject: [WEBHOOK_PRODUCER],
        }),
      ],
      controllers: [WebhookController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: GATEWAY_LOGGER, useValue: logger },
        { provide: WebhookSecretBook, useValue: new WebhookSecretBook(config.webhooks.secrets) },
        { provide: VERIFY_WEBHOOK_SIGNATURE, useValue: verifyWithRxScaleClient },
        GatewayMetrics,
        ...(producer
          ? [{ provide: WEBHOOK_PRODUCER, useValue: producer }]
          : [KafkaIngestProducer, { provide: WEBHOOK_PRODUCER, useExisting: KafkaIngestProducer }]),
        WebhookIngestService,
      ],
      exports: [WEBHOOK_PRODUCER],
    };
  }
}
