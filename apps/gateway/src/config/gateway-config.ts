import { Topics } from '@rxbridge/contracts';
import {
  configSchema,
  envInt,
  envJson,
  envVar,
  httpConfig,
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
    GATEWAY_BODY_LIMIT_BYTES: envVar(envInt({ min: 1, default: 1024 * 1024 }), {
      description: 'Larger webhook bodies get 413',
      default: '1048576',
    }),
    GATEWAY_PRODUCE_BUDGET_MS: envVar(envInt({ min: 1, default: 3000 }), {
      description: 'Time from receipt within which Kafka must acknowledge, else 503 (RxScale waits 5 s)',
      default: '3000',
    }),
    GATEWAY_PRODUCE_LINGER_MS: envVar(envInt({ min: 0, max: 1000, default: 2 }), {
      description: 'How long the first record of a batch waits for others',
      default: '2',
    }),
    GATEWAY_PRODUCE_MAX_BATCH: envVar(envInt({ min: 1, default: 500 }), {
      description: 'Records per produce call at most',
      default: '500',
    }),
    GATEWAY_PRODUCE_MAX_BATCH_BYTES: envVar(envInt({ min: 1024, default: 512 * 1024 }), {
      description: 'Record bytes per produce call at most (a larger record goes alone)',
      default: '524288',
    }),
    GATEWAY_PRODUCE_LANES: envVar(envInt({ min: 1, max: 16, default: 2 }), {
      description: "Idempotent producers side by side; a record's lane follows its key",
      default: '2',
    }),
    GATEWAY_RETRY_AFTER_SECONDS: envVar(envInt({ min: 0, default: 5 }), {
      description: 'Retry-After on a 503',
      default: '5',
    }),
    /** Unset: no age check. RxScale's signature covers no timestamp, so this is the only replay guard. */
    GATEWAY_MAX_EVENT_AGE_SECONDS: envVar(envInt({ min: 1 }).optional(), {
      description:
        'Refuse (400) signed events whose envelope timestamp is older than this, or over 300 s in the future; unset: no check',
    }),
    GATEWAY_WEBHOOK_SECRETS: envVar(
      envJson('is not valid JSON: { "<source>": { "<event_type>": ["<secret>", ...] } }').pipe(
        WebhookSecretsSchema,
      ),
      {
        description:
          'Signing secrets per source and event type, JSON { "<source>": { "<event_type>": ["<secret>", ...] } }; list several to rotate',
        secret: true,
        example: '{"default":{"pharmacy_order_created":["<signing secret>"]}}',
      },
    ),
  })
  .superRefine(
    (env, ctx) => {
      // Renamed to the one name every part uses (service-kit httpConfig); a stale deployment fails loudly
      // instead of listening somewhere it did not ask for.
      for (const [old, now] of [
        ['GATEWAY_PORT', 'HTTP_PORT'],
        ['GATEWAY_HOST', 'HTTP_HOST'],
      ] as const)
        if (env[old] !== undefined)
          ctx.addIssue({ code: 'custom', path: [old], message: `was renamed ${now}` });
    },
    { when: () => true },
  )
  .transform((e) => ({
    http: { bodyLimitBytes: e.GATEWAY_BODY_LIMIT_BYTES },
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
  // 127.0.0.1 unless told: the gateway is the part that faces the internet, so it is exposed on purpose.
  http: httpConfig(3000, { defaultHost: '127.0.0.1' }),
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
    http: { ...c.http, ...c.gateway.http },
    kafka: c.kafka,
    topics: {
      pharmacyOrders: Topics.rxscalePharmacyOrders.name,
      pharmacySkus: Topics.rxscalePharmacySkus.name,
      unrecognized: Topics.rxscaleUnrecognized.name,
    },
    logLevel: c.log.level,
  };
}
