import { z } from 'zod';
import { envVar } from '../config/env-docs.js';
import { envInt, envJson } from '../config/env-values.js';
import { ApiScope } from './api-scopes.js';
import { API_TOKEN_HASH, type ApiTokenEntry } from './api-tokens.js';

export interface HttpEdgeConfig {
  host: string;
  port: number;
  /** Tokens allowed to call the API, as hashes; empty means every protected route answers 401. */
  tokens: ApiTokenEntry[];
  /** Larger request bodies are refused with 413 before they are parsed. */
  bodyLimitBytes: number;
  /** After SIGTERM, /health/ready answers 503 for this long before the server stops accepting. */
  shutdownDelayMs: number;
  /** Idempotency keys (and the answers they replay) are kept this long. */
  idempotencyRetentionHours: number;
}

const TokenEntry = z.object({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be 1-63 lowercase letters, digits, ".", "_" or "-"'),
  hash: z
    .string()
    .regex(API_TOKEN_HASH, 'must be "sha256:" and 64 lowercase hex digits (the hash, not the token)'),
  scopes: z.array(ApiScope).min(1, 'must list at least one scope'),
});

const TokenList = envJson('must be a JSON array of {name, hash, scopes}').pipe(
  z
    .array(TokenEntry, { message: 'must be a JSON array of {name, hash, scopes}' })
    .superRefine((entries, ctx) => {
      const names = new Set<string>();
      const hashes = new Set<string>();
      entries.forEach((e, i) => {
        if (names.has(e.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: 'is used twice' });
        if (hashes.has(e.hash)) ctx.addIssue({ code: 'custom', path: [i, 'hash'], message: 'is used twice' });
        names.add(e.name);
        hashes.add(e.hash);
      });
    }),
);

/**
 * HTTP_HOST (default 0.0.0.0), HTTP_PORT (default the service's), HTTP_API_TOKENS (JSON
 * `[{"name","hash","scopes"}]`, filled from a Kubernetes Secret; mint entries with
 * `node packages/service-kit/bin/api-token.mjs create`), HTTP_BODY_LIMIT_BYTES (default 1 MiB),
 * HTTP_SHUTDOWN_DELAY_MS (default 5000), HTTP_IDEMPOTENCY_RETENTION_HOURS (default 24).
 */
export function httpEdgeConfig(defaultPort: number) {
  return z
    .looseObject({
      HTTP_HOST: envVar(z.string().min(1).optional(), {
        description: 'Address the REST API listens on',
        default: '0.0.0.0',
      }),
      HTTP_PORT: envVar(envInt({ min: 1, max: 65535, default: defaultPort }), {
        description: 'Port of the REST API, /health and /metrics',
        default: String(defaultPort),
      }),
      HTTP_API_TOKENS: envVar(TokenList.optional(), {
        description:
          'API tokens admitted, as hashes: JSON [{"name","hash","scopes"}] from a Secret; mint with `npx rxbridge tokens create`',
        secret: true,
        example: '[{"name":"pms","hash":"sha256:<64 hex>","scopes":["stock:write"]}]',
      }),
      HTTP_BODY_LIMIT_BYTES: envVar(envInt({ min: 1024, max: 64 * 1024 * 1024, default: 1024 * 1024 }), {
        description: 'Largest JSON request body accepted (413 above)',
        default: '1048576',
      }),
      HTTP_SHUTDOWN_DELAY_MS: envVar(envInt({ min: 0, max: 120_000, default: 5_000 }), {
        description:
          'On SIGTERM, how long /health/ready answers 503 while requests are still served, before closing',
        default: '5000',
      }),
      HTTP_IDEMPOTENCY_RETENTION_HOURS: envVar(envInt({ min: 1, max: 24 * 30, default: 24 }), {
        description: 'How long an Idempotency-Key and its first answer are kept',
        default: '24',
      }),
    })
    .transform((env): HttpEdgeConfig => ({
      host: env.HTTP_HOST ?? '0.0.0.0',
      port: env.HTTP_PORT,
      tokens: env.HTTP_API_TOKENS ?? [],
      bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES,
      shutdownDelayMs: env.HTTP_SHUTDOWN_DELAY_MS,
      idempotencyRetentionHours: env.HTTP_IDEMPOTENCY_RETENTION_HOURS,
    }));
}
