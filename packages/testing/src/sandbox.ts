// The RxScale sandbox for tests, in-process. This entry does not import @rxbridge/rxscale-sandbox: the
// sandbox's own tests use this package, so a dependency on the sandbox would be a cycle. The test passes the
// sandbox's startSandbox in, and the helpers need only the part of a running sandbox typed here, which
// RunningSandbox satisfies.
import { requestJson, requestJsonOk, type JsonAnswer, type JsonRequest } from './http-json.js';

/** What these helpers use of a running sandbox (`RunningSandbox` has it). */
export interface SandboxEndpoints {
  /** the admin API, e.g. http://127.0.0.1:43121/_admin */
  adminUrl: string;
  /** the External Pharmacy API under one of its base paths */
  apiUrl(basePath?: '/v1/external-pharmacy-api-v1' | '/v1/external_pharmacy_api'): string;
}

export interface SandboxWebhookTiming {
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
  maxAttempts: number;
}

/** Redelivery fast enough for a test: no test waits for RxScale's production backoff. */
export const TEST_WEBHOOK_TIMING: SandboxWebhookTiming = {
  baseDelayMs: 20,
  maxDelayMs: 200,
  timeoutMs: 2000,
  maxAttempts: 4,
};

export interface TestSandboxOptions {
  port?: number;
  webhooks?: Partial<SandboxWebhookTiming>;
}

/**
 * Starts the sandbox through `start` (pass `startSandbox` from @rxbridge/rxscale-sandbox) on a free port
 * with TEST_WEBHOOK_TIMING; `options` go through, and their `webhooks` override single timings.
 */
export function startTestSandbox<O extends TestSandboxOptions, S>(
  start: (options?: O) => Promise<S>,
  // The options' type comes from `start`, so a sandbox option this package does not know still checks.
  options: NoInfer<O>,
): Promise<S> {
  return start({
    ...options,
    port: options.port ?? 0,
    webhooks: { ...TEST_WEBHOOK_TIMING, ...options.webhooks },
  });
}

/** One call of the sandbox's admin API; the answer as it came. */
export function sandboxAdmin<T = unknown>(
  sandbox: SandboxEndpoints,
  method: string,
  path: string,
  body?: unknown,
): Promise<JsonAnswer<T>> {
  return requestJson<T>(`${sandbox.adminUrl}${path}`, { method, body });
}

/** An admin call as a setup step: anything but 2xx throws, naming the path and the answer. */
export function sandboxAdminOk<T = unknown>(
  sandbox: SandboxEndpoints,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  return requestJsonOk<T>(`${sandbox.adminUrl}${path}`, { method, body });
}

export interface SandboxApiCall extends Omit<JsonRequest, 'method'> {
  /** sent as x-api-key */
  key?: string;
  basePath?: '/v1/external-pharmacy-api-v1' | '/v1/external_pharmacy_api';
}

/** One call of the sandbox's External Pharmacy API; the answer as it came. */
export function sandboxApi<T = unknown>(
  sandbox: SandboxEndpoints,
  method: string,
  path: string,
  { key, basePath, headers, ...request }: SandboxApiCall = {},
): Promise<JsonAnswer<T>> {
  return requestJson<T>(`${sandbox.apiUrl(basePath)}${path}`, {
    ...request,
    method,
    headers: { ...headers, ...(key === undefined ? {} : { 'x-api-key': key }) },
  });
}
