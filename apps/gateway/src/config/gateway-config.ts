import { Topics } from '@rxbridge/contracts';
import {
  configSchema,
  envInt,
  kafkaConfig,
  loadConfig,
  logConfig,
  type Env,
  type LogLevel,
} from '@rxbridge/service-kit';
import { z } from 'zod';

/**
 * The gateway's whole configuration, parsed once from the environment at start with service-kit's
 * loadConfig: a bad value stops the start naming the variable; GATEWAY_WEBHOOK_SECRETS is never quoted
 * (service-kit leaves out the value of any variable named like a secret).
 */

const SOURCE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const EVENT_TYPE_NAME = /^[a-z][a-z0-9_]{0,99}$/;

/** `{ "<source>": { "<event_type>": ["whsec_new", "whsec_old"] } }`: several secrets per type allow rotation. */
export const WebhookSecretsSchema = z
  .record(
    z.string().regex(SOURCE_NAME, 'a source name is lowercase letters, digits, "-" or "_"'),
    z
      .record(
        z.string().regex(EVENT_TYPE_NAME, 'an event type is lowercase letters, digits or "_"'),
        z
          .array(z.string().min(16, 'a signing secret has at least 16 characters'))
          .min(1, 'at least one secret per event type'),
      )
      .refine(
        (types) => Object.keys(types).length > 0,
        'a source needs at least one event type with secrets',
      ),
  )
  .refine((sources) => Object.keys(sources).length > 0, 'at least one source');
export type WebhookSecrets = z.infer<typeof WebhookSecretsSchema>;

const gatewaySection = z
  .looseObject({
    GATEWAY_PORT: envInt({ min: 0, max: 65535, default: 3000 }),
    GATEWAY_HOST: z.string().min(1).optional(),
    GATEWAY_BODY_LIMIT_BYTES: envInt({ min: 1, default: 1024 * 1024 }),
    GATEWAY_PRODUCE_BUDGET_MS: envInt({ min: 1, default: 3000 }),
    GATEWAY_PRODUCE_LINGER_MS: envInt({ min: 0, max: 1000, default: 2 }),
    GATEWAY_PRODUCE_MAX_BATCH: envInt({ min: 1, default: 500 }),
    GATEWAY_PRODUCE_MAX_BATCH_BYTES: envInt({ min: 1024, default: 512 * 1024 }),
    GATEWAY_PRODUCE_LANES: envInt({ min: 1, max: 16, default: 2 }),
    GATEWAY_RETRY_AFTER_SECONDS: envInt({ min: 0, default: 5 }),
    /** Unset: no age check. RxScale's signature covers no timestamp, so this is the only replay guard. */
    GATEWAY_MAX_EVENT_AGE_SECONDS: envInt({ min: 1 }).optional(),
    GATEWAY_WEBHOOK_SECRETS: z
      .string()
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          // JSON.parse's own message quotes the text around the error, which would put a secret in a log.
          ctx.addIssue({
            code: 'custom',
            message: 'is not valid JSON: { "<source>": { "<event_type>": ["<secret>", ...] } }',
          });
          return z.NEVER;
        }
      })
      .pipe(WebhookSecretsSchema),
  })
  .transform((e) => ({
    http: {
      port: e.GATEWAY_PORT,
      host: e.GATEWAY_HOST ?? '127.0.0.1',
      bodyLimitBytes: e.GATEWAY_BODY_LIMIT_BYTES,
    },
    produce: {
      budgetMs: e.GATEWAY_PRODUCE_BUDGET_MS,
      lingerMs: e.GATEWAY_PRODUCE_LINGER_MS,
      maxBatch: e.GATEWAY_PRODUCE_MAX_BATCH,
      maxBatchBytes: e.GATEWAY_PRODUCE_MAX_BATCH_BYTES,
      lanes: e.GATEWAY_PRODUCE_LANES,
      retryAfterSeconds: e.GATEWAY_RETRY_AFTER_SECONDS,
    },
    webhooks: { secrets: e.GATEWAY_WEBHOOK_SECRETS, maxEventAgeSeconds: e.GATEWAY_MAX_EVENT_AGE_SECONDS },
  }));

export const GatewayConfigSchema = configSchema({
  kafka: kafkaConfig('rxbridge-gateway'),
  log: logConfig(),
  gateway: gatewaySection,
});

export interface GatewayConfig {
  http: { port: number; host: string; bodyLimitBytes: number };
  kafka: { brokers: string[]; clientId: string };
  produce: {
    budgetMs: number;
    lingerMs: number;
    maxBatch: number;
    maxBatchBytes: number;
    lanes: number;
    retryAfterSeconds: number;
  };
  webhooks: { secrets: WebhookSecrets; maxEventAgeSeconds: number | undefined };
  /** The catalog's topics; tests and benchmarks substitute their own. */
  topics: { pharmacyOrders: string; pharmacySkus: string; unrecognized: string };
  logLevel: LogLevel;
}

/** Throws service-kit's ConfigError naming every bad variable. */
export function loadGatewayConfig(env: Env): GatewayConfig {
  const c = loadConfig(GatewayConfigSchema, env);
  return {
    ...c.gateway,
    kafka: c.kafka,
    topics: {
      pharmacyOrders: Topics.rxscalePharmacyOrders.name,
      pharmacySkus: Topics.rxscalePharmacySkus.name,
      unrecognized: Topics.rxscaleUnrecognized.name,
    },
    logLevel: c.log.level,
  };
}
