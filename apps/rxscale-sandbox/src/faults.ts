import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { RXSCALE_ENDPOINTS, WebhookEventType } from '@rxbridge/rxscale-contract';

const endpointTemplates = Object.values(RXSCALE_ENDPOINTS).map((e) => `${e.method} ${e.path}`);
const normalise = (path: string) => (path.length > 1 ? path.replace(/\/+$/, '') : path);

/** Which API calls a fault applies to: one endpoint (method + path template of API.md §7) or all. */
const EndpointTarget = z
  .object({
    method: z.enum(['GET', 'POST', 'PATCH', 'DELETE']).optional(),
    path: z.string().optional(),
  })
  .refine(
    (t) =>
      t.path === undefined ||
      endpointTemplates.some((tpl) => normalise(tpl.split(' ')[1] ?? '') === normalise(t.path ?? '')),
    {
      message: `path must be one of the endpoint templates: ${endpointTemplates.join(', ')}`,
      path: ['path'],
    },
  );

const common = {
  /** Apply to the next N matching calls or deliveries, then expire; absent = until cleared. */
  count: z.int().positive().optional(),
  /**
   * Share of matching calls affected, 0..1. Deterministic, not random: with rate r the n-th match is hit when
   * floor(n*r) grows, so 0.5 hits every second call and tests need no luck.
   */
  rate: z.number().min(0).max(1).default(1),
};

export const FaultSpec = z.discriminatedUnion(
  'kind',
  [
    z.object({
      kind: z.literal('latency'),
      endpoint: EndpointTarget.default({}),
      ms: z.int().min(1).max(600_000),
      ...common,
    }),
    z.object({
      kind: z.literal('error'),
      endpoint: EndpointTarget.default({}),
      status: z.int().min(500).max(599).default(500),
      ...common,
    }),
    z.object({
      kind: z.literal('rate_limit'),
      endpoint: EndpointTarget.default({}),
      /** Optional Retry-After header (seconds); RxScale documents none (API.md §6). */
      retryAfterSeconds: z.int().min(0).max(3600).optional(),
      ...common,
    }),
    z.object({
      kind: z.literal('hang'),
      endpoint: EndpointTarget.default({}),
      /** How long the answer is held back (then 504), past any sane client timeout by default. */
      ms: z.int().min(1).max(600_000).default(120_000),
      ...common,
    }),
    z.object({
      kind: z.literal('webhook_latency'),
      eventType: WebhookEventType.optional(),
      ms: z.int().min(1).max(600_000),
      ...common,
    }),
    z.object({ kind: z.literal('webhook_duplicate'), eventType: WebhookEventType.optional(), ...common }),
    z.object({
      kind: z.literal('webhook_out_of_order'),
      eventType: WebhookEventType.optional(),
      /** A held delivery is sent after the next one, or after this long if nothing follows. */
      maxHoldMs: z.int().min(1).max(600_000).default(10_000),
      ...common,
    }),
    z.object({ kind: z.literal('webhook_drop'), eventType: WebhookEventType.optional(), ...common }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? 'kind must be one of: latency, error, rate_limit, hang, webhook_latency, webhook_duplicate, webhook_out_of_order, webhook_drop'
        : undefined,
  },
);
export type FaultSpec = z.infer<typeof FaultSpec>;
export type EndpointFault = Extract<FaultSpec, { endpoint: unknown }>;
export type WebhookFault = Exclude<FaultSpec, EndpointFault>;

export type Fault = FaultSpec & { id: string; matched: number; applied: number };

/** Faults set through the admin API, checked on every API call and webhook delivery. */
export class FaultRegistry {
  private faults: Fault[] = [];

  add(spec: FaultSpec): Fault {
    const fault: Fault = { ...spec, id: `fault-${randomBytes(4).toString('hex')}`, matched: 0, applied: 0 };
    this.faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
  }

  /** The endpoint faults that fire for this call, counting it against each matching fault. */
  forEndpoint(method: string, template: string): EndpointFault[] {
    return this.fire(
      (f): f is Fault & EndpointFault =>
        'endpoint' in f &&
        (f.endpoint.method === undefined || f.endpoint.method === method) &&
        (f.endpoint.path === undefined || normalise(f.endpoint.path) === normalise(template)),
    );
  }

  forWebhook(eventType: string): WebhookFault[] {
    return this.fire(
      (f): f is Fault & WebhookFault =>
        !('endpoint' in f) && (f.eventType === undefined || f.eventType === eventType),
    );
  }

  private fire<F extends Fault>(match: (f: Fault) => f is F): F[] {
    const hit: F[] = [];
    for (const f of this.faults) {
      if (!match(f)) continue;
      f.matched += 1;
      if (Math.floor(f.matched * f.rate) <= Math.floor((f.matched - 1) * f.rate)) continue;
      f.applied += 1;
      hit.push(f);
    }
    // A fault with a count expires once it has been applied that many times.
    this.faults = this.faults.filter((f) => f.count === undefined || f.applied < f.count);
    return hit;
  }
}
