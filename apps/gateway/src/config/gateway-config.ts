import { Topics } from '@rxbridge/contracts';
import { z } from 'zod';

/**
 * The gateway's whole configuration, parsed once from the environment at start. A bad value stops the
 * start with a message naming the variable; a secret's value never appears in that message.
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
        z.array(z.string().min(16, 'a signing secret has at least 16 characters')).min(1, 'at least one secret per event type'),
      )
      .refine((types) => Object.keys(types).length > 0, 'a source needs at least one event type with secrets'),
  )
  .refine((sources) => Object.keys(sources).length > 0, 'at least one source');
export type WebhookSecrets = z.infer<typeof WebhookSecretsSchema>;

const integer = (min: number) => z.coerce.number().int().min(min);

const GatewayEnvSchema = z.object({
  GATEWAY_PORT: integer(0).max(65535).default(3000),
  GATEWAY_HOST: z.string().min(1).default('127.0.0.1'),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((s) => s.split(',').map((b) => b.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'each broker is host:port')).min(1)),
  KAFKA_CLIENT_ID: z.string().min(1).default('rxbridge-gateway'),
  GATEWAY_BODY_LIMIT_BYTES: integer(1).default(1024 * 1024),
  GATEWAY_PRODUCE_BUDGET_MS: integer(1).default(3000),
  GATEWAY_PRODUCE_LINGER_MS: integer(0).max(1000).default(2),
  GATEWAY_PRODUCE_MAX_BATCH: integer(1).default(500),
  GATEWAY_PRODUCE_MAX_BATCH_BYTES: integer(1024).default(512 * 1024),
  GATEWAY_RETRY_AFTER_SECONDS: integer(0).default(5),
  /** Unset: no age check. RxScale's signature covers no timestamp, so this is the only replay guard. */
  GATEWAY_MAX_EVENT_AGE_SECONDS: integer(1).optional(),
  GATEWAY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  GATEWAY_WEBHOOK_SECRETS: z
    .string({ error: 'required: JSON { "<source>": { "<event_type>": ["<secret>", ...] } }' })
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        // JSON.parse's own message quotes the text around the error, which would put a secret in a log.
        ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(WebhookSecretsSchema),
});

export interface GatewayConfig {
  http: { port: number; host: string; bodyLimitBytes: number };
  kafka: { brokers: string[]; clientId: string };
  produce: { budgetMs: number; lingerMs: number; maxBatch: number; maxBatchBytes: number; retryAfterSeconds: number };
  webhooks: { secrets: WebhookSecrets; maxEventAgeSeconds: number | undefined };
  topics: { pharmacyOrders: string; pharmacySkus: string; unrecognized: string };
  logLevel: z.infer<typeof GatewayEnvSchema>['GATEWAY_LOG_LEVEL'];
}

export class GatewayConfigError extends Error {
  readonly code = 'config_invalid';
  constructor(readonly problems: string[]) {
    super(`invalid gateway configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'GatewayConfigError';
  }
}

export function loadGatewayConfig(env: Record<string, string | undefined>): GatewayConfig {
  const parsed = GatewayEnvSchema.safeParse(env, { reportInput: false });
  if (!parsed.success) {
    // Only the variable, the path inside it and zod's message: never the offending value.
    throw new GatewayConfigError(
      parsed.error.issues.map((i) => {
        const [variable, ...inner] = i.path.map(String);
        return `${variable}${inner.length ? ` (at ${inner.join('.')})` : ''}: ${i.message}`;
      }),
    );
  }
  const e = parsed.data;
  return {
    http: { port: e.GATEWAY_PORT, host: e.GATEWAY_HOST, bodyLimitBytes: e.GATEWAY_BODY_LIMIT_BYTES },
    kafka: { brokers: e.KAFKA_BROKERS, clientId: e.KAFKA_CLIENT_ID },
    produce: {
      budgetMs: e.GATEWAY_PRODUCE_BUDGET_MS,
      lingerMs: e.GATEWAY_PRODUCE_LINGER_MS,
      maxBatch: e.GATEWAY_PRODUCE_MAX_BATCH,
      maxBatchBytes: e.GATEWAY_PRODUCE_MAX_BATCH_BYTES,
      retryAfterSeconds: e.GATEWAY_RETRY_AFTER_SECONDS,
    },
    webhooks: { secrets: e.GATEWAY_WEBHOOK_SECRETS, maxEventAgeSeconds: e.GATEWAY_MAX_EVENT_AGE_SECONDS },
    topics: {
      pharmacyOrders: Topics.rxscalePharmacyOrders.name,
      pharmacySkus: Topics.rxscalePharmacySkus.name,
      unrecognized: Topics.rxscaleUnrecognized.name,
    },
    logLevel: e.GATEWAY_LOG_LEVEL,
  };
}
