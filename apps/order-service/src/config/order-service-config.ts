import { ConsumerGroups } from '@rxbridge/contracts';
import {
  configSchema,
  databaseConfig,
  envInt,
  envJson,
  envVar,
  httpEdgeConfig,
  kafkaConfig,
  kafkaConsumerGroupConfig,
  loadConfig,
  logConfig,
  patientDataCryptoConfig,
  rxscaleSourcesConfig,
  type Env,
} from '@rxbridge/service-kit';
import { z } from 'zod';
import { STOCK_POLICIES, type StockPolicy } from '../orders/order-lifecycle.js';

/**
 * order-service's configuration, parsed once at start with service-kit's loadConfig (a bad value stops the
 * start naming every wrong variable). Its own variables carry the `ORDERS_` prefix.
 */

const StockPolicySchema = z.enum(STOCK_POLICIES, {
  error: () => `must be one of: ${STOCK_POLICIES.join(', ')}`,
});

/** `{ "<pharmacy uid>": "cancel" | "on-hold" }`, overriding the default policy for those pharmacies. */
export const StockPolicyByPharmacySchema = z.record(z.string().min(1).max(200), StockPolicySchema);

const ordersSection = z
  .looseObject({
    ORDERS_OUT_OF_STOCK_POLICY: envVar(StockPolicySchema.optional(), {
      description:
        'What a failed stock reservation does: on-hold (a comment names the missing items) or cancel (RxScale re-routes the order)',
      default: 'on-hold',
    }),
    ORDERS_OUT_OF_STOCK_POLICY_BY_PHARMACY: envVar(
      envJson('is not valid JSON: { "<pharmacy uid>": "cancel" | "on-hold" }')
        .pipe(StockPolicyByPharmacySchema)
        .optional(),
      {
        description: 'The policy per pharmacy, JSON { "<pharmacy uid>": "cancel" | "on-hold" }',
        example: '{"ph-1":"cancel"}',
      },
    ),
    ORDERS_PATIENT_DATA_RETENTION_DAYS: envVar(envInt({ min: 1, max: 3650, default: 30 }), {
      description: 'Days after an order completed or was cancelled before its patient data is removed',
      default: '30',
    }),
    ORDERS_SAFETY_NET_INTERVAL_MS: envVar(envInt({ min: 1000, max: 86_400_000, default: 300_000 }), {
      description:
        "How often the safety net lists each pharmacy's open orders at RxScale (lost webhooks); it also runs at start",
      default: '300000',
    }),
    ORDERS_SAFETY_NET_MAX_PAGES: envVar(envInt({ min: 1, max: 1000, default: 20 }), {
      description: 'Pages (of 100) the safety net reads per pharmacy and status in one run',
      default: '20',
    }),
    ORDERS_RETENTION_INTERVAL_MS: envVar(envInt({ min: 1000, max: 86_400_000, default: 3_600_000 }), {
      description: 'How often the patient-data retention job runs',
      default: '3600000',
    }),
    ORDERS_COMMAND_CONCURRENCY: envVar(envInt({ min: 1, max: 32, default: 8 }), {
      description:
        "RxScale status changes sent at once by one replica (each on its own order; RxScale's rate budget still paces them); each holds a database connection while it runs",
      default: '8',
    }),
    ORDERS_PARTITIONS_CONCURRENCY: envVar(envInt({ min: 1, max: 32, default: 6 }), {
      description:
        "Kafka partitions one replica handles at once (a partition's records always one after another); each holds a database connection while a run of its records is handled",
      default: '6',
    }),
    ORDERS_COMMAND_BATCH_SIZE: envVar(envInt({ min: 1, max: 50, default: 8 }), {
      description:
        'RxScale commands each of those relay loops claims, sends together and settles in one transaction (fewer database round trips per order); a batch commits when its slowest call is done',
      default: '8',
    }),
  })
  .transform((e): OrdersConfig => ({
    stockPolicy: {
      default: e.ORDERS_OUT_OF_STOCK_POLICY ?? 'on-hold',
      byPharmacy: e.ORDERS_OUT_OF_STOCK_POLICY_BY_PHARMACY ?? {},
    },
    patientDataRetentionDays: e.ORDERS_PATIENT_DATA_RETENTION_DAYS,
    safetyNetIntervalMs: e.ORDERS_SAFETY_NET_INTERVAL_MS,
    safetyNetMaxPages: e.ORDERS_SAFETY_NET_MAX_PAGES,
    retentionIntervalMs: e.ORDERS_RETENTION_INTERVAL_MS,
    commandConcurrency: e.ORDERS_COMMAND_CONCURRENCY,
    commandBatchSize: e.ORDERS_COMMAND_BATCH_SIZE,
    partitionsConcurrency: e.ORDERS_PARTITIONS_CONCURRENCY,
  }));

export interface StockPolicyConfig {
  /** Default `on-hold`: a person decides; `cancel` makes RxScale re-route the order (DESIGN.md §1 step 4). */
  default: StockPolicy;
  byPharmacy: Readonly<Record<string, StockPolicy>>;
}

export interface OrdersConfig {
  stockPolicy: StockPolicyConfig;
  patientDataRetentionDays: number;
  safetyNetIntervalMs: number;
  safetyNetMaxPages: number;
  retentionIntervalMs: number;
  /** Relay loops, each running its commands on its own connection (ORDERS_COMMAND_CONCURRENCY). */
  commandConcurrency: number;
  /** Commands one relay loop claims and settles together (ORDERS_COMMAND_BATCH_SIZE). */
  commandBatchSize: number;
  /** Partitions the consumer handles at once (ORDERS_PARTITIONS_CONCURRENCY). */
  partitionsConcurrency: number;
}

export const OrderServiceConfigSchema = configSchema({
  kafka: kafkaConfig('order-service'),
  consumerGroup: kafkaConsumerGroupConfig(ConsumerGroups.orderService),
  database: databaseConfig(),
  http: httpEdgeConfig(3001),
  log: logConfig(),
  rxscale: rxscaleSourcesConfig(),
  patientData: patientDataCryptoConfig(),
  orders: ordersSection,
});
export type OrderServiceConfig = z.output<typeof OrderServiceConfigSchema>;

/** The service's own variables (beside the kit's sections), for `.env.example` (tools/env-example-parts.mjs). */
export const OrderServiceEnv = ordersSection;

/** Throws service-kit's ConfigError naming every bad variable. */
export function loadOrderServiceConfig(env: Env): OrderServiceConfig {
  return loadConfig(OrderServiceConfigSchema, env);
}

export function stockPolicyFor(config: StockPolicyConfig, pharmacyUid: string): StockPolicy {
  return config.byPharmacy[pharmacyUid] ?? config.default;
}
