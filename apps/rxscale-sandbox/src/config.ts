import { z } from 'zod';

const onOff = (name: string) =>
  z
    .enum(['on', 'off', 'true', 'false', '1', '0'], { error: `${name} must be on or off` })
    .transform((v) => v === 'on' || v === 'true' || v === '1');

const intFromEnv = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(z.int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`));

/**
 * The sandbox's environment (README "Configuration"); `process.env` is read nowhere else. Each variable's
 * `.meta()` (description, default) is what tools/generate-env-example.mjs writes into `.env.example`.
 */
export const SandboxEnv = z.object({
  SANDBOX_PORT: intFromEnv('SANDBOX_PORT', 0, 65535)
    .default(4010)
    .meta({ description: 'Port the sandbox listens on', default: '4010' }),
  SANDBOX_HOST: z
    .string()
    .min(1, 'SANDBOX_HOST must not be empty')
    .default('127.0.0.1')
    .meta({ description: 'Address the sandbox listens on', default: '127.0.0.1' }),
  SANDBOX_SEED: z.string().min(1, 'SANDBOX_SEED must be a file path').optional().meta({
    description: 'Seed file (JSON) loaded at start and on reset, e.g. seed/demo-chain.json; unset: empty',
  }),
  SANDBOX_RATE_LIMIT: onOff('SANDBOX_RATE_LIMIT')
    .default(true)
    .meta({ description: "Enforce RxScale's limits per API key (10/s, 600/min): on or off", default: 'on' }),
  SANDBOX_LOG: onOff('SANDBOX_LOG')
    .default(true)
    .meta({ description: 'One line per request on stdout: on or off', default: 'on' }),
  SANDBOX_BODY_LIMIT_BYTES: intFromEnv('SANDBOX_BODY_LIMIT_BYTES', 1024, 64 * 1024 * 1024)
    .default(1024 * 1024)
    .meta({ description: 'Larger request bodies get 413', default: '1048576' }),
  SANDBOX_WEBHOOK_TIMEOUT_MS: intFromEnv('SANDBOX_WEBHOOK_TIMEOUT_MS', 1, 600_000)
    .default(5000)
    .meta({ description: 'Per-attempt timeout of a webhook delivery', default: '5000' }),
  SANDBOX_WEBHOOK_MAX_ATTEMPTS: intFromEnv('SANDBOX_WEBHOOK_MAX_ATTEMPTS', 1, 100)
    .default(6)
    .meta({ description: 'Webhook delivery attempts in total', default: '6' }),
  SANDBOX_WEBHOOK_BASE_DELAY_MS: intFromEnv('SANDBOX_WEBHOOK_BASE_DELAY_MS', 0, 3_600_000)
    .default(1000)
    .meta({ description: 'Delay before webhook retry n is this * 2^(n-1)', default: '1000' }),
  SANDBOX_WEBHOOK_MAX_DELAY_MS: intFromEnv('SANDBOX_WEBHOOK_MAX_DELAY_MS', 0, 3_600_000)
    .default(60_000)
    .meta({ description: 'Cap of the webhook retry delay', default: '60000' }),
});
export type SandboxEnv = z.infer<typeof SandboxEnv>;

export interface WebhookDeliveryOptions {
  /** Per-attempt timeout; RxScale expects an answer within 5 s (API.md §11.5). */
  timeoutMs: number;
  /** Attempts in total, the first included. */
  maxAttempts: number;
  /** Delay before retry n is baseDelayMs * 2^(n-1), capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface SandboxOptions {
  port?: number;
  host?: string;
  /** Path of a seed file (JSON) loaded at start and by `POST /_admin/reset {"reseed": true}`. */
  seed?: string;
  rateLimit?: boolean;
  /** One line per request on stdout (method, path without query, status, key id, duration). */
  log?: boolean;
  bodyLimitBytes?: number;
  webhooks?: Partial<WebhookDeliveryOptions>;
}

export interface ResolvedSandboxOptions {
  port: number;
  host: string;
  seed: string | undefined;
  rateLimit: boolean;
  log: boolean;
  bodyLimitBytes: number;
  webhooks: WebhookDeliveryOptions;
}

/** Reads the environment once; throws naming every wrong variable. */
export function optionsFromEnv(env: Record<string, string | undefined>): ResolvedSandboxOptions {
  const parsed = SandboxEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid sandbox configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    port: e.SANDBOX_PORT,
    host: e.SANDBOX_HOST,
    seed: e.SANDBOX_SEED,
    rateLimit: e.SANDBOX_RATE_LIMIT,
    log: e.SANDBOX_LOG,
    bodyLimitBytes: e.SANDBOX_BODY_LIMIT_BYTES,
    webhooks: {
      timeoutMs: e.SANDBOX_WEBHOOK_TIMEOUT_MS,
      maxAttempts: e.SANDBOX_WEBHOOK_MAX_ATTEMPTS,
      baseDelayMs: e.SANDBOX_WEBHOOK_BASE_DELAY_MS,
      maxDelayMs: e.SANDBOX_WEBHOOK_MAX_DELAY_MS,
    },
  };
}

/** Defaults for the programmatic entry: tests pass only what they change (port 0 = any free port). */
export function resolveOptions(options: SandboxOptions): ResolvedSandboxOptions {
  const defaults = optionsFromEnv({});
  return {
    port: options.port ?? 0,
    host: options.host ?? defaults.host,
    seed: options.seed,
    rateLimit: options.rateLimit ?? true,
    log: options.log ?? false,
    bodyLimitBytes: options.bodyLimitBytes ?? defaults.bodyLimitBytes,
    webhooks: { ...defaults.webhooks, ...options.webhooks },
  };
}
