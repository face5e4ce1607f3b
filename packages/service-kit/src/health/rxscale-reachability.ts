import { DEFAULT_CHECK_TIMEOUT_MS, type HealthCheck } from './health-checks.js';

/** What the check needs of a configured RxScale source: its name and base URL, never its key. */
export interface RxscaleEndpoint {
  name: string;
  baseUrl: string;
}

export interface RxscaleReachabilityOptions {
  /** Per origin; default 2 s (the other checks' timeout). */
  timeoutMs?: number;
  /** How long one answer (reachable or not) is reused, so probes every few seconds send at most one request. Default 5 s. */
  cacheMs?: number;
  name?: string;
  /** Default false: an unreachable RxScale is reported, readiness is not failed (docs/design.md "Health"). */
  critical?: boolean;
}

export const DEFAULT_RXSCALE_REACHABILITY_CACHE_MS = 5_000;

// fetch's errors say only "fetch failed"; the cause's code (ECONNREFUSED, ENOTFOUND, …) is the useful part
function reason(error: unknown, timeoutMs: number): string {
  // a DOMException, not always an Error of this realm: compare the name only
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Whether each source's RxScale answers at all: a HEAD request to the origin of its base URL (not an API
 * path), without an API key, so it spends nothing of the key's rate budget and RxScale counts no call
 * against it. Any HTTP answer, even 404 or 5xx, means reachable; a refused connection, a DNS failure or no
 * answer within the timeout means unreachable. Sources sharing an origin are asked once; the outcome is
 * kept for `cacheMs` and concurrent probes share one request.
 */
export function rxscaleReachabilityCheck(
  sources: readonly RxscaleEndpoint[],
  options: RxscaleReachabilityOptions = {},
): HealthCheck {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const cacheMs = options.cacheMs ?? DEFAULT_RXSCALE_REACHABILITY_CACHE_MS;
  const byOrigin = new Map<string, string[]>();
  for (const source of sources) {
    // URL.origin drops any user:password@ part
    const origin = new URL(source.baseUrl).origin;
    byOrigin.set(origin, [...(byOrigin.get(origin) ?? []), source.name]);
  }
  let last: { at: number; outcome: Promise<void> } | undefined;

  const probe = async (): Promise<void> => {
    const failures = await Promise.all(
      [...byOrigin].map(async ([origin, names]) => {
        try {
          const res = await fetch(`${origin}/`, {
            method: 'HEAD',
            redirect: 'manual',
            signal: AbortSignal.timeout(timeoutMs),
            headers: { 'user-agent': 'rxbridge-health' },
          });
          await res.body?.cancel();
          return undefined;
        } catch (error) {
          return `${names.map((n) => `source ${n}`).join(', ')} (${origin}): ${reason(error, timeoutMs)}`;
        }
      }),
    );
    const down = failures.filter((f): f is string => f !== undefined);
    if (down.length > 0) throw new Error(`RxScale unreachable: ${down.join('; ')}`);
  };

  return {
    name: options.name ?? 'rxscale',
    critical: options.critical ?? false,
    check() {
      const now = performance.now();
      // a pending probe is shared; a settled one is reused until it is cacheMs old (counted from its start)
      if (!last || now - last.at >= cacheMs) {
        const outcome = probe();
        outcome.catch(() => undefined);
        last = { at: now, outcome };
      }
      return last.outcome;
    },
  };
}
