import { z } from 'zod';

/** zod pieces for single environment variables (all strings by nature). */

export function envInt(options: { min?: number; max?: number; default?: number } = {}) {
  const base = z
    .string()
    .regex(/^-?\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(options.min ?? Number.MIN_SAFE_INTEGER)
        .max(options.max ?? Number.MAX_SAFE_INTEGER),
    );
  return options.default === undefined ? base : base.optional().transform((v) => v ?? options.default!);
}

export function envBoolean(defaultValue?: boolean) {
  const base = z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
  return defaultValue === undefined ? base : base.optional().transform((v) => v ?? defaultValue);
}

/** A comma-separated list; blanks around items are ignored. */
export function envList<T extends z.ZodType<unknown, string>>(item: T, options: { min?: number } = {}) {
  return z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    )
    .pipe(
      z.array(item).min(options.min ?? 0, `must list at least ${options.min ?? 0} item(s), comma-separated`),
    );
}

const HOST_PORT = /^(?:[A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/;

export const HostPort = z.string().refine((v) => {
  const port = Number(HOST_PORT.exec(v)?.[1] ?? 0);
  return port >= 1 && port <= 65535;
}, 'must be host:port with a port of 1-65535');

export const HttpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });

/**
 * A variable holding JSON, parsed without ever quoting it: JSON.parse's own message repeats the text around
 * the mistake, which may be a secret (a key, a token). `message` is the one issue a bad text gets; pipe the
 * result into the value's schema.
 */
export function envJson(message: string) {
  return z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
  });
}
