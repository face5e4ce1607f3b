import { z } from 'zod';
import { envVar } from './env-docs.js';
import { envJson, HttpUrl } from './env-values.js';
import { RxScaleKeyScope } from './config-sections.js';

/**
 * The RxScale API keys of one deployment (DESIGN.md §6). Each key is a *source* with its own base URL and its
 * own rate budget (RxScale's limits are per key, API.md §6); every pharmacy belongs to exactly one source.
 * Source names are the gateway's (`GATEWAY_WEBHOOK_SECRETS`), so a source's webhooks and its calls share a name.
 *
 * How a group key's pharmacies are known: they are listed in the config. RxScale has no endpoint that lists a
 * key's pharmacies (API.md §7), and a listed set is checked at start, so a pharmacy in two sources cannot
 * happen. The one exception: a deployment with a single group key may leave the list out, and then every
 * pharmacy is that key's (there is nothing to choose between).
 */

export const RXSCALE_SOURCE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** The name of the source that RXSCALE_BASE_URL / RXSCALE_API_KEY describe (the gateway's `/webhooks/rxscale`). */
export const DEFAULT_RXSCALE_SOURCE = 'default';

/**
 * The rate-budget bucket of a source: from its name, never from its key (the bucket name is stored and
 * logged). Here, with the config, so that the CLI shares the services' buckets without loading them.
 */
export function rxscaleBudgetBucket(sourceName: string): string {
  return `rxscale-source:${sourceName}`;
}

const PharmacyUid = z
  .string()
  .regex(/^[^\s/?#]{1,200}$/, 'a pharmacy uid is 1-200 characters without spaces, "/", "?" or "#"');
// The key's format is not documented (API.md §2); only catch copy-paste accidents.
const ApiKey = z.string().regex(/^\S+$/, 'must not contain spaces or line breaks');

export interface RxscaleSourceConfig {
  /** `[a-z0-9_-]`, as the gateway's sources. */
  name: string;
  /** Host plus base path (API.md §1), without a trailing slash. */
  baseUrl: string;
  apiKey: string;
  /** `pharmacy`: the key is bound to its one pharmacy; `group`: every call names its pharmacy (API.md §3). */
  scope: RxScaleKeyScope;
  /** The pharmacies whose calls use this key. Empty only for the single group key of a one-source deployment. */
  pharmacies: string[];
}

export interface RxscaleSourcesConfig {
  sources: RxscaleSourceConfig[];
}

const SourceEntry = z.strictObject({
  baseUrl: HttpUrl,
  apiKey: ApiKey,
  scope: RxScaleKeyScope,
  pharmacies: z.array(PharmacyUid).optional(),
});

const SourcesJson = envJson(
  'is not valid JSON: { "<source>": { "baseUrl", "apiKey", "scope", "pharmacies": [...] } }',
).pipe(
  z
    .record(z.string(), z.unknown())
    .refine((sources) => Object.keys(sources).length > 0, 'must name at least one source')
    .transform((sources, ctx) => {
      const out: RxscaleSourceConfig[] = [];
      for (const [name, value] of Object.entries(sources)) {
        if (!RXSCALE_SOURCE_NAME.test(name)) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: 'a source name is lowercase letters, digits, "-" or "_"',
          });
          continue;
        }
        const entry = SourceEntry.safeParse(value);
        if (!entry.success) {
          // Only where and what, never the value (it may be the key).
          for (const issue of entry.error.issues)
            ctx.addIssue({
              code: 'custom',
              path: [name, ...issue.path.map(String)],
              message: issue.message,
            });
          continue;
        }
        out.push({
          name,
          baseUrl: entry.data.baseUrl.replace(/\/+$/, ''),
          apiKey: entry.data.apiKey,
          scope: entry.data.scope,
          pharmacies: entry.data.pharmacies ?? [],
        });
      }
      return out;
    }),
);

/** Every pharmacy in exactly one source; a single-pharmacy key lists exactly one. Returns the problems found. */
export function sourceProblems(
  sources: readonly RxscaleSourceConfig[],
): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  const owner = new Map<string, string>();
  for (const source of sources) {
    if (source.scope === 'pharmacy' && source.pharmacies.length !== 1)
      problems.push({
        path: [source.name, 'pharmacies'],
        message: `a single-pharmacy key lists exactly one pharmacy (got ${source.pharmacies.length})`,
      });
    if (source.scope === 'group' && source.pharmacies.length === 0 && sources.length > 1)
      problems.push({
        path: [source.name, 'pharmacies'],
        message: 'a group key lists its pharmacies when there is more than one source',
      });
    for (const uid of source.pharmacies) {
      const first = owner.get(uid);
      if (first === undefined) owner.set(uid, source.name);
      else
        problems.push({
          path: [source.name, 'pharmacies'],
          message: `pharmacy "${uid}" is also in source "${first}": every pharmacy belongs to exactly one source`,
        });
    }
  }
  return problems;
}

/**
 * RXSCALE_SOURCES (JSON, several keys) or, for one key, RXSCALE_BASE_URL + RXSCALE_API_KEY + RXSCALE_KEY_SCOPE +
 * RXSCALE_PHARMACY_UID (source `default`). Setting both forms is an error: one deployment, one description.
 */
export function rxscaleSourcesConfig() {
  return z
    .looseObject({
      RXSCALE_SOURCES: envVar(SourcesJson.optional(), {
        description:
          'Several RxScale API keys: JSON { "<source>": { "baseUrl", "apiKey", "scope": "group"|"pharmacy", "pharmacies": ["<uid>", ...] } }; every pharmacy in exactly one source, each source its own rate budget. Instead of the four RXSCALE_ variables below',
        secret: true,
        example:
          '{"chain":{"baseUrl":"https://api.rxscale-dev.com/v1/external-pharmacy-api-v1","apiKey":"<group key>","scope":"group","pharmacies":["ph-1","ph-2"]}}',
      }),
      RXSCALE_BASE_URL: envVar(HttpUrl.optional(), {
        description:
          'One key (source "default"): RxScale host plus base path (API.md §1); the local sandbox is http://127.0.0.1:4010',
        example: 'http://127.0.0.1:4010/v1/external-pharmacy-api-v1',
      }),
      RXSCALE_API_KEY: envVar(ApiKey.optional(), {
        description: 'One key (source "default"): the RxScale API key',
        secret: true,
        example: '<api key>',
      }),
      RXSCALE_KEY_SCOPE: envVar(RxScaleKeyScope.optional(), {
        description: 'One key: pharmacy (bound to one pharmacy) or group (every call names its pharmacy)',
        default: 'pharmacy',
      }),
      RXSCALE_PHARMACY_UID: envVar(PharmacyUid.optional(), {
        description:
          'One key: the pharmacy of a single-pharmacy key (required then); with a group key, the only pharmacy served (unset: every pharmacy)',
      }),
    })
    .superRefine(
      (env, ctx) => {
        const single = [
          'RXSCALE_BASE_URL',
          'RXSCALE_API_KEY',
          'RXSCALE_KEY_SCOPE',
          'RXSCALE_PHARMACY_UID',
        ] as const;
        const usedSingle = single.filter((name) => env[name] !== undefined);
        if (env.RXSCALE_SOURCES !== undefined) {
          for (const name of usedSingle)
            ctx.addIssue({
              code: 'custom',
              path: [name],
              message: 'is not used together with RXSCALE_SOURCES: describe every key there',
            });
          if (Array.isArray(env.RXSCALE_SOURCES))
            for (const p of sourceProblems(env.RXSCALE_SOURCES))
              ctx.addIssue({ code: 'custom', path: ['RXSCALE_SOURCES', ...p.path], message: p.message });
          return;
        }
        if (env.RXSCALE_BASE_URL === undefined && env.RXSCALE_API_KEY === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['RXSCALE_SOURCES'],
            message: 'is required but not set (or RXSCALE_BASE_URL and RXSCALE_API_KEY for one key)',
          });
          return;
        }
        for (const name of ['RXSCALE_BASE_URL', 'RXSCALE_API_KEY'] as const)
          if (env[name] === undefined)
            ctx.addIssue({ code: 'custom', path: [name], message: 'is required but not set' });
        if ((env.RXSCALE_KEY_SCOPE ?? 'pharmacy') === 'pharmacy' && env.RXSCALE_PHARMACY_UID === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['RXSCALE_PHARMACY_UID'],
            message: 'is required when RXSCALE_KEY_SCOPE is pharmacy (a single-pharmacy key)',
          });
      },
      // Run even when a variable is bad, so the one error lists every problem.
      { when: () => true },
    )
    .transform((env): RxscaleSourcesConfig => {
      if (env.RXSCALE_SOURCES !== undefined) return { sources: env.RXSCALE_SOURCES };
      return {
        sources: [
          {
            name: DEFAULT_RXSCALE_SOURCE,
            baseUrl: env.RXSCALE_BASE_URL!.replace(/\/+$/, ''),
            apiKey: env.RXSCALE_API_KEY!,
            scope: env.RXSCALE_KEY_SCOPE ?? 'pharmacy',
            pharmacies: env.RXSCALE_PHARMACY_UID === undefined ? [] : [env.RXSCALE_PHARMACY_UID],
          },
        ],
      };
    });
}
