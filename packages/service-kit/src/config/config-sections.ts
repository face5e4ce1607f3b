import { z } from 'zod';
import { envVar } from './env-docs.js';
import { envInt, envList, HostPort, HttpUrl } from './env-values.js';

/**
 * Reusable sections of a service's config (see configSchema). Each reads its own prefixed variables and
 * outputs a nested object; defaults are the local stack's (README "Configuration").
 */

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/rxbridge';
export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092';

export interface KafkaConnectionConfig {
  brokers: string[];
  clientId: string;
}

/** KAFKA_BROKERS (comma-separated host:port, default the local broker), KAFKA_CLIENT_ID (default the service). */
export function kafkaConfig(defaultClientId: string) {
  return z
    .looseObject({
      KAFKA_BROKERS: envVar(envList(HostPort, { min: 1 }).optional(), {
        description: 'Kafka brokers, comma-separated host:port',
        default: DEFAULT_KAFKA_BROKERS,
      }),
      KAFKA_CLIENT_ID: envVar(
        z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1-100 letters, digits, ".", "_" or "-"')
          .optional(),
        { description: 'kafkajs client id', default: defaultClientId },
      ),
    })
    .transform((env): KafkaConnectionConfig => ({
      brokers: env.KAFKA_BROKERS ?? [DEFAULT_KAFKA_BROKERS],
      clientId: env.KAFKA_CLIENT_ID ?? defaultClientId,
    }));
}

/**
 * KAFKA_GROUP_ID: the consumer group a service consumes in (default the topic catalog's group of that
 * service, `ConsumerGroups` in packages/contracts, whose `<group>.dlq` provisioning creates). One variable
 * for every consumer service; set it only to run a second copy of a service on the same broker.
 */
export function kafkaConsumerGroupConfig(defaultGroup: string) {
  return z
    .looseObject({
      KAFKA_GROUP_ID: envVar(
        z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be 1-200 letters, digits, ".", "_" or "-"')
          .optional(),
        {
          description: 'Kafka consumer group of the service (its dead letters go to <group>.dlq)',
          default: defaultGroup,
        },
      ),
    })
    .transform((env): string => env.KAFKA_GROUP_ID ?? defaultGroup);
}

export interface DatabaseConfig {
  url: string;
}

/** DATABASE_URL: postgres:// or postgresql://, default the local database. */
export function databaseConfig() {
  return z
    .looseObject({
      DATABASE_URL: envVar(
        z
          .url({ protocol: /^postgres(ql)?$/, message: 'must be a postgres:// or postgresql:// URL' })
          .optional(),
        { description: 'PostgreSQL; each service owns one schema in it', default: DEFAULT_DATABASE_URL },
      ),
    })
    .transform((env): DatabaseConfig => ({ url: env.DATABASE_URL ?? DEFAULT_DATABASE_URL }));
}

export interface HttpConfig {
  host: string;
  port: number;
}

/**
 * HTTP_PORT (0-65535; 0 takes any free port, for tests), HTTP_HOST (default 0.0.0.0: the pod's address in
 * Kubernetes; the gateway's default is 127.0.0.1). One name for the listen address in every part.
 */
export function httpConfig(defaultPort: number, options: { defaultHost?: string } = {}) {
  const defaultHost = options.defaultHost ?? '0.0.0.0';
  return z
    .looseObject({
      HTTP_PORT: envVar(envInt({ min: 0, max: 65535, default: defaultPort }), {
        description: 'Port the HTTP server listens on',
        default: String(defaultPort),
      }),
      HTTP_HOST: envVar(z.string().min(1).optional(), {
        description: 'Address the HTTP server listens on (0.0.0.0 in a container)',
        default: defaultHost,
      }),
    })
    .transform((env): HttpConfig => ({ host: env.HTTP_HOST ?? defaultHost, port: env.HTTP_PORT }));
}

export const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
export type LogLevel = z.infer<typeof LogLevel>;

export interface LogConfig {
  level: LogLevel;
}

/** LOG_LEVEL: fatal|error|warn|info|debug|trace|silent, default info. */
export function logConfig() {
  return z
    .looseObject({
      LOG_LEVEL: envVar(LogLevel.optional(), {
        description: 'fatal, error, warn, info, debug, trace or silent',
        default: 'info',
      }),
    })
    .transform((env): LogConfig => ({ level: env.LOG_LEVEL ?? 'info' }));
}

export const RxScaleKeyScope = z.enum(['pharmacy', 'group']);
export type RxScaleKeyScope = z.infer<typeof RxScaleKeyScope>;

export interface RxScaleConfig {
  baseUrl: string;
  apiKey: string;
  /** `pharmacy`: the key is bound to one pharmacy; `group`: every call names its pharmacy (API.md §3). */
  keyScope: RxScaleKeyScope;
  /** The pharmacy of a single-pharmacy key (required then); with a group key, an optional default. */
  pharmacyUid: string | undefined;
}

/**
 * One RxScale key only; prefer rxscaleSourcesConfig (several keys, same variables for the one-key case).
 * RXSCALE_BASE_URL (host + base path, API.md §1), RXSCALE_API_KEY, RXSCALE_KEY_SCOPE (pharmacy|group, default
 * pharmacy), RXSCALE_PHARMACY_UID (required with a single-pharmacy key: every event carries the pharmacy uid).
 */
export function rxscaleConfig() {
  return z
    .looseObject({
      RXSCALE_BASE_URL: HttpUrl,
      // The key's format is not documented (API.md §2); only catch copy-paste accidents.
      RXSCALE_API_KEY: z.string().regex(/^\S+$/, 'must not contain spaces or line breaks'),
      RXSCALE_KEY_SCOPE: RxScaleKeyScope.optional(),
      RXSCALE_PHARMACY_UID: z.string().min(1).max(200).optional(),
    })
    .superRefine(
      (env, ctx) => {
        if ((env.RXSCALE_KEY_SCOPE ?? 'pharmacy') === 'pharmacy' && !env.RXSCALE_PHARMACY_UID) {
          ctx.addIssue({
            code: 'custom',
            path: ['RXSCALE_PHARMACY_UID'],
            message: 'is required when RXSCALE_KEY_SCOPE is pharmacy (a single-pharmacy key)',
          });
        }
        // Run even when other variables are bad, so the one error lists this problem too.
      },
      { when: () => true },
    )
    .transform((env): RxScaleConfig => ({
      baseUrl: env.RXSCALE_BASE_URL.replace(/\/+$/, ''),
      apiKey: env.RXSCALE_API_KEY,
      keyScope: env.RXSCALE_KEY_SCOPE ?? 'pharmacy',
      pharmacyUid: env.RXSCALE_PHARMACY_UID,
    }));
}
