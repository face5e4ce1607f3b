import { ConsumerGroups } from '@rxbridge/contracts';
import {
  configSchema,
  databaseConfig,
  envInt,
  envVar,
  httpEdgeConfig,
  kafkaConfig,
  loadConfig,
  logConfig,
  rxscaleSourcesConfig,
  type DatabaseConfig,
  type Env,
  type HttpEdgeConfig,
  type KafkaConnectionConfig,
  type LogLevel,
  type RxscaleSourcesConfig,
  kafkaConsumerGroupConfig,
} from '@rxbridge/service-kit';
import { z } from 'zod';

/** inventory-service's port in the stack (BRIEF / README). */
export const INVENTORY_SERVICE_PORT = 3002;
/** The topic catalog's group (its `<group>.dlq` is provisioned with the catalog). */
export const INVENTORY_CONSUMER_GROUP = ConsumerGroups.inventoryService;

/**
 * inventory-service's configuration, parsed once at start (service-kit's loadConfig names every bad
 * variable): the kit's Kafka, database, REST edge, log and RxScale-key sections plus the service's own.
 * No patient data passes through this service, so it has no crypto section.
 */
const inventorySection = z
  .looseObject({
    /** A stock upload larger than this is refused whole (413). */
    INVENTORY_UPLOAD_MAX_BYTES: envVar(envInt({ min: 1024, default: 16 * 1024 * 1024 }), {
      description: 'A stock upload (CSV or JSON) larger than this many bytes is refused whole (413)',
      default: String(16 * 1024 * 1024),
    }),
    INVENTORY_UPLOAD_MAX_LINES: envVar(envInt({ min: 1, default: 200_000 }), {
      description: 'A stock upload with more lines than this is refused whole (413)',
      default: '200000',
    }),
    /** How often every pharmacy's SKU list is read from RxScale to map SKUs and repair drift. */
    INVENTORY_SKU_SYNC_INTERVAL_SECONDS: envVar(envInt({ min: 60, default: 3600 }), {
      description: "How often every pharmacy's SKU list is read from RxScale (and once at start)",
      default: '3600',
    }),
    INVENTORY_RECONCILE_INTERVAL_SECONDS: envVar(envInt({ min: 60, default: 6 * 3600 }), {
      description:
        "How often RxScale's stock levels are compared with ours and drift repaired (lowest priority)",
      default: String(6 * 3600),
    }),
    INVENTORY_PUSH_COALESCE_MS: envVar(envInt({ min: 0, max: 60_000, default: 1000 }), {
      description:
        "How long a new stock push waits before it is sent; a SKU's levels arriving meanwhile coalesce into it (one push with the newest value)",
      default: '1000',
    }),
    INVENTORY_PUSH_MAX_DELAY_MS: envVar(envInt({ min: 0, max: 300_000, default: 5000 }), {
      description:
        'The longest a stock push waits while updates keep coalescing into it (from when it was queued)',
      default: '5000',
    }),
  })
  .transform((e) => ({
    upload: { maxBytes: e.INVENTORY_UPLOAD_MAX_BYTES, maxLines: e.INVENTORY_UPLOAD_MAX_LINES },
    skuSyncIntervalSeconds: e.INVENTORY_SKU_SYNC_INTERVAL_SECONDS,
    reconcileIntervalSeconds: e.INVENTORY_RECONCILE_INTERVAL_SECONDS,
    pushCoalesceMs: e.INVENTORY_PUSH_COALESCE_MS,
    pushMaxDelayMs: Math.max(e.INVENTORY_PUSH_MAX_DELAY_MS, e.INVENTORY_PUSH_COALESCE_MS),
  }));

/** The service's own variables (beside the kit's sections), for `.env.example` (tools/env-example-parts.mjs). */
export const InventoryServiceEnv = inventorySection;

export const InventoryServiceConfigSchema = configSchema({
  kafka: kafkaConfig('rxbridge-inventory-service'),
  consumerGroup: kafkaConsumerGroupConfig(INVENTORY_CONSUMER_GROUP),
  database: databaseConfig(),
  http: httpEdgeConfig(INVENTORY_SERVICE_PORT),
  log: logConfig(),
  rxscale: rxscaleSourcesConfig(),
  inventory: inventorySection,
});

export interface InventoryServiceConfig {
  kafka: KafkaConnectionConfig & { groupId: string };
  database: DatabaseConfig;
  http: HttpEdgeConfig;
  rxscale: RxscaleSourcesConfig;
  upload: { maxBytes: number; maxLines: number };
  skuSyncIntervalSeconds: number;
  reconcileIntervalSeconds: number;
  pushCoalesceMs: number;
  pushMaxDelayMs: number;
  logLevel: LogLevel;
}

/** Throws service-kit's ConfigError naming every bad variable. */
export function loadInventoryServiceConfig(env: Env): InventoryServiceConfig {
  const c = loadConfig(InventoryServiceConfigSchema, env);
  const { inventory } = c;
  return {
    kafka: { ...c.kafka, groupId: c.consumerGroup },
    database: c.database,
    http: c.http,
    rxscale: c.rxscale,
    ...inventory,
    logLevel: c.log.level,
  };
}
