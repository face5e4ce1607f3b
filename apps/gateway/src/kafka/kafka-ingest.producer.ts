import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { HealthCheck } from '@rxbridge/service-kit';
import { Kafka, logLevel, type Message, type Producer } from 'kafkajs';
import type { ServiceLogger } from '@rxbridge/service-kit';
import { GATEWAY_CONFIG, GATEWAY_LOGGER } from '../gateway.tokens.js';
import type { GatewayConfig } from '../config/gateway-config.js';
import { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { BatchingProducer } from './batching-producer.js';

const RECONNECT_MS = 2000;

/**
 * The gateway's one Kafka producer: idempotent, acks=all, retrying without end (kafkajs's default for an
 * idempotent producer) so a batch handed over is never given up; callers stop waiting after their budget
 * instead. Ready only while connected and while no batch has been waiting longer than the budget.
 */
@Injectable()
export class KafkaIngestProducer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly producer: Producer;
  private readonly batcher: BatchingProducer;
  private connected = false;
  private stopping = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(GATEWAY_LOGGER) private readonly logger: ServiceLogger,
    metrics: GatewayMetrics,
  ) {
    const kafka = new Kafka({
      clientId: config.kafka.clientId,
      brokers: config.kafka.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      // Short backoff so a batch stuck while the broker was away goes through soon after it is back.
      retry: { initialRetryTime: 100, maxRetryTime: 1000 },
    });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.producer.on(this.producer.events.CONNECT, () => {
      this.connected = true;
    });
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.connected = false;
      if (!this.stopping) this.scheduleReconnect();
    });
    this.batcher = new BatchingProducer(
      this.producer,
      { lingerMs: config.produce.lingerMs, maxBatch: config.produce.maxBatch, maxBatchBytes: config.produce.maxBatchBytes },
      metrics,
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.connect();
  }

  /** For /health/ready (service-kit's HealthModule). */
  readinessCheck(): HealthCheck {
    return {
      name: 'kafka-producer',
      check: () => {
        if (!this.connected) return Promise.reject(new Error('the producer is not connected'));
        if (this.batcher.stalledForMs() >= this.config.produce.budgetMs) {
          return Promise.reject(new Error('a batch has waited for Kafka longer than the produce budget'));
        }
        return Promise.resolve();
      },
    };
  }

  produce(topic: string, message: Message, budgetMs: number): Promise<void> {
    return this.batcher.produce(topic, message, budgetMs);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    // The HTTP server has stopped taking requests; what is queued still goes out before we disconnect.
    await this.batcher.drain();
    await this.producer.disconnect();
  }

  private async connect(): Promise<void> {
    try {
      await this.producer.connect();
      this.logger.info({ brokers: this.config.kafka.brokers }, 'kafka producer connected');
    } catch (err) {
      this.logger.warn({ err: errorSummary(err) }, 'kafka producer could not connect; retrying');
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.stopping) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.connected) void this.connect();
    }, RECONNECT_MS);
  }
}

function errorSummary(err: unknown): { name: string; message: string } {
  return err instanceof Error ? { name: err.name, message: err.message } : { name: 'unknown', message: String(err) };
}
