import { type ErrorCode } from '@rxbridge/contracts';
import { z } from 'zod';
import { registerSections, secretEnvNames } from './env-docs.js';

export type Env = Record<string, string | undefined>;

export interface ConfigProblem {
  /** The environment variable (or the path inside the config when a section reports a nested field). */
  variable: string;
  problem: string;
}

/** Thrown by loadConfig: names every problem at once, so one restart fixes them all. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'invalid_config' satisfies ErrorCode;
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.variable}: ${p.problem}`).join('\n'),
    );
  }
}

// A variable whose name says it holds a secret never has its value quoted.
const SECRET_NAME =
  /(^|_)(KEY|KEYS|SECRET|SECRETS|TOKEN|TOKENS|PASSWORD|PASSWORDS|PASSPHRASE|CREDENTIALS?)(_|$)/;

export function isSecretVariable(name: string): boolean {
  return SECRET_NAME.test(name.toUpperCase());
}

/** A URL with its password (and any query, which may carry one) masked, or undefined if it is no URL. */
function maskUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    if (url.search) url.search = '?***';
    return url.toString();
  } catch {
    return undefined;
  }
}

function quoted(name: string, value: string | undefined, secrets: ReadonlySet<string>): string {
  if (value === undefined) return '';
  if (isSecretVariable(name) || secrets.has(name)) return '';
  if (name.endsWith('_URL') || name.endsWith('_URI') || name.endsWith('_DSN')) {
    const masked = maskUrl(value);
    return masked === undefined ? '' : ` (got "${masked}")`;
  }
  return ` (got "${value.length > 100 ? `${value.slice(0, 100)}…` : value}")`;
}

/**
 * Turns the environment into a typed config object with one zod schema per service (see `configSchema`).
 * Empty variables count as unset, as they do in most deployment tools. On any problem it throws one
 * ConfigError naming every bad or missing variable; secret values are never quoted.
 * `process.env` is read here and nowhere else.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Env = process.env): z.output<S> {
  const cleaned: Env = {};
  for (const [name, value] of Object.entries(env))
    if (value !== undefined && value !== '') cleaned[name] = value;
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const secrets = secretEnvNames(schema);
  const problems = result.error.issues.map((issue): ConfigProblem => {
    const variable = issue.path.length > 0 ? String(issue.path[0]) : '(environment)';
    const value = cleaned[variable];
    // configSchema re-reports section issues as custom ones and keeps the original code in params.
    const code =
      issue.code === 'custom'
        ? ((issue.params as { code?: string } | undefined)?.code ?? issue.code)
        : issue.code;
    const missing = value === undefined && code === 'invalid_type';
    // Lists report the item: KAFKA_BROKERS item 2 rather than the whole variable's shape.
    const where =
      issue.path.length > 1
        ? `item ${issue.path
            .slice(1)
            .map((p) => (typeof p === 'number' ? p + 1 : String(p)))
            .join('.')} `
        : '';
    return {
      variable,
      problem: missing
        ? 'is required but not set'
        : `${where}${issue.message}${quoted(variable, value, secrets)}`,
    };
  });
  throw new ConfigError(problems);
}

/** EX_CONFIG from sysexits.h: the process refused to start because of its configuration. */
export const CONFIG_EXIT_CODE = 78;

/**
 * loadConfig for a service's entry point: on a ConfigError it writes the one message to stderr and exits with
 * CONFIG_EXIT_CODE instead of printing a stack trace. Other errors propagate.
 */
export function loadConfigOrExit<S extends z.ZodType>(
  schema: S,
  env: Env = process.env,
  io: { write: (text: string) => void; exit: (code: number) => never } = {
    write: (text) => void process.stderr.write(text),
    exit: (code) => process.exit(code),
  },
): z.output<S> {
  try {
    return loadConfig(schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.write(`${error.message}\n`);
    return io.exit(CONFIG_EXIT_CODE);
  }
}

/** A piece of configuration: a zod schema over the flat environment that outputs one nested section. */
export type ConfigSection<T = unknown> = z.ZodType<T>;

/**
 * Combines sections into one schema: `configSchema({ kafka: kafkaConfig('order-service'), database:
 * databaseConfig() })` parses to `{ kafka: {...}, database: {...} }`. Every section is checked, so the error
 * names every problem, not only those of the first bad section.
 */
export function configSchema<S extends Record<string, ConfigSection>>(
  sections: S,
): z.ZodType<{ [K in keyof S]: z.output<S[K]> }, Env> {
  const schema = z.record(z.string(), z.string().optional()).transform((env, ctx) => {
    const out: Record<string, unknown> = {};
    for (const [name, section] of Object.entries(sections)) {
      const result = section.safeParse(env);
      if (result.success) {
        out[name] = result.data;
        continue;
      }
      for (const issue of result.error.issues) {
        ctx.addIssue({
          code: 'custom',
          message: issue.message,
          path: issue.path,
          params: { code: issue.code },
        });
      }
    }
    return out as { [K in keyof S]: z.output<S[K]> };
  });
  // So documentedEnv / secretEnvNames see the variables of every section (.env.example, quoting).
  registerSections(schema, Object.values(sections));
  return schema;
}
