import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createKafkaClient, type HealthCheck, type ServiceLogger } from '@rxbridge/service-kit';
import { type Message, type Producer } from 'kafkajs';
import type { GatewayConfig } from '../config/gateway-config.js';
import { GATEWAY_CONFIG, GATEWAY_LOGGER } from '../gateway.tokens.js';
import { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { BatchingProducer } from './batching-producer.js';

const RECONNECT_MS = 2000;

/**
 * One idempotent producer with its batcher. kafkajs allows an idempotent producer one request in flight,
 * so a lane's throughput is its batch size per broker round trip.
 */
class ProducerLane {
  readonly batcher: BatchingProducer;
  connected = false;
  private stopping = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly producer: Producer,
    private readonly name: string,
    config: GatewayConfig,
    metrics: GatewayMetrics,
    private readonly logger: ServiceLogger,
  ) {
    producer.on(producer.events.CONNECT, () => {
      this.connected = true;
    });
    producer.on(producer.events.DISCONNECT, () => {
      this.connected = false;
      if (!this.stopping) this.scheduleReconnect();
    });
    this.batcher = new BatchingProducer(
      producer,
      {
        lingerMs: config.produce.lingerMs,
        maxBatch: config.produce.maxBatch,
        maxBatchBytes: config.produce.maxBatchBytes,
      },
      metrics,
    );
  }

  async connect(): Promise<void> {
    try {
      await this.producer.connect();
      this.logger.info({ lane: this.name }, 'kafka producer connected');
    } catch (err) {
      this.logger.warn(
        { lane: this.name, err: errorSummary(err) },
        'kafka producer could not connect; retrying',
      );
      this.scheduleReconnect();
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    await this.batcher.drain();
    await this.producer.disconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.stopping) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.connected) void this.connect();
    }, RECONNECT_MS);
  }
}

/** What the webhook use case needs of a producer; KafkaIngestProducer is the one that runs. */
export interface WebhookProducer {
  /** Resolves once the record is stored (acks=all); rejects when it is not within budgetMs. */
  produce(topic: string, message: Message, budgetMs: number): Promise<void>;
  /** For /health/ready. */
  readinessCheck(): HealthCheck;
}

/**
 * The gateway's Kafka producers: idempotent, acks=all, retrying without end (kafkajs's default for an
 * idempotent producer) so a batch handed over is never given up; callers stop waiting after their budget
 * instead. `GATEWAY_PRODUCE_LANES` producers work side by side so one slow round trip does not hold every
 * request; a record's lane is chosen by its key, so one order's (or SKU's) events keep their order.
 */
@Injectable()
export class KafkaIngestProducer implements WebhookProducer, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly lanes: ProducerLane[];

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(GATEWAY_LOGGER) logger: ServiceLogger,
    metrics: GatewayMetrics,
  ) {
    // kafkajs's own lines through the gateway's pino logger at WARN (the factory's level): a broker that goes
    // away shows in the log. The hot path (the batcher and its produce calls) is untouched by this.
    const kafka = createKafkaClient({
      clientId: config.kafka.clientId,
      brokers: config.kafka.brokers,
      logger,
      connectionTimeout: 3000,
      // Short backoff so a batch stuck while the broker was away goes through soon after it is back.
      retry: { initialRetryTime: 100, maxRetryTime: 1000 },
    });
    this.lanes = Array.from(
      { length: config.produce.lanes },
      (_, i) =>
        new ProducerLane(
          kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }),
          String(i),
          config,
          metrics,
          logger,
        ),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.connect()));
  }

  /** For /health/ready (service-kit's HealthModule). */
  readinessCheck(): HealthCheck {
    return {
      name: 'kafka-producer',
      check: () => {
        if (!this.lanes.every((l) => l.connected))
          return Promise.reject(new Error('a producer is not connected'));
        if (this.lanes.some((l) => l.batcher.stalledForMs() >= this.config.produce.budgetMs)) {
          return Promise.reject(new Error('a batch has waited for Kafka longer than the produce budget'));
        }
        return Promise.resolve();
      },
    };
  }

  produce(topic: string, message: Message, budgetMs: number): Promise<void> {
    const key = typeof message.key === 'string' ? message.key : (message.key?.toString('latin1') ?? '');
    return this.lanes[laneOf(key, this.lanes.length)]!.batcher.produce(topic, message, budgetMs);
  }

  async onApplicationShutdown(): Promise<void> {
    // The HTTP server has stopped taking requests; what is queued still goes out before we disconnect.
    await Promise.all(this.lanes.map((l) => l.stop()));
  }
}

/** FNV-1a: cheap and stable, so one key always takes the same lane. */
export function laneOf(key: string, lanes: number): number {
  if (lanes === 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % lanes;
}

function errorSummary(err: unknown): { name: string; message: string } {
  return err instanceof Error
    ? { name: err.name, message: err.message }
    : { name: 'unknown', message: String(err) };
}
