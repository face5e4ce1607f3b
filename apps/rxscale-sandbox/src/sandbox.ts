import Fastify, { type FastifyError } from 'fastify';
import { DEFAULT_RXSCALE_BASE_PATH, ERROR_MESSAGES, type RxScaleBasePath } from '@rxbridge/rxscale-contract';
import { resolveOptions, type ResolvedSandboxOptions, type SandboxOptions } from './config.js';
import { DirectoryService } from './directory.service.js';
import { FaultRegistry } from './faults.js';
import { registerAdminApi } from './http/admin.routes.js';
import { HttpError } from './http/http-error.js';
import { registerRxScaleApi, requestMeta } from './http/rxscale-api.routes.js';
import { OrdersService } from './orders.service.js';
import { RateLimiter } from './rate-limiter.js';
import { RequestLog } from './request-log.js';
import { applySeed, readSeed } from './seed.js';
import { SandboxSettings } from './settings.js';
import { SkusService } from './skus.service.js';
import { SandboxStore } from './store.js';
import { Views } from './views.js';
import { SubscriptionsService } from './webhooks/subscriptions.service.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';

export interface RunningSandbox {
  /** Origin, e.g. `http://127.0.0.1:4010`. */
  url: string;
  /** `url` + `/_admin`. */
  adminUrl: string;
  /** `url` + a base path (default: DESIGN.md §11's `/v1/external-pharmacy-api-v1`). */
  apiUrl(basePath?: RxScaleBasePath): string;
  port: number;
  options: ResolvedSandboxOptions;
  /** Stops the server, in-flight hangs and pending webhook deliveries. */
  close(): Promise<void>;
}

/** Starts a sandbox (port 0 = any free port). Tests start one each; `main.ts` starts one from the env. */
export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  return startResolved(resolveOptions(options));
}

export async function startResolved(opts: ResolvedSandboxOptions): Promise<RunningSandbox> {
  const seed = opts.seed === undefined ? undefined : await readSeed(opts.seed);
  const shutdown = new AbortController();
  const store = new SandboxStore();
  const views = new Views(store);
  const faults = new FaultRegistry();
  const settings = SandboxSettings.parse({});
  const dispatcher = new WebhookDispatcher(store, faults, opts.webhooks);
  const rateLimiter = new RateLimiter(opts.rateLimit);
  const requestLog = new RequestLog();
  const directory = new DirectoryService(store);
  const orders = new OrdersService(store, views, dispatcher, settings);
  const skus = new SkusService(store, views, dispatcher, settings);
  const subscriptions = new SubscriptionsService(store);

  const loadSeed = () => {
    if (!seed) return;
    try {
      applySeed(seed, directory, orders);
    } catch (err) {
      const detail = err instanceof HttpError ? JSON.stringify(err.body) : (err as Error).message;
      throw new Error(`seed file ${opts.seed} cannot be applied: ${detail}`, { cause: err });
    }
  };
  loadSeed();

  const app = Fastify({ logger: false, bodyLimit: opts.bodyLimitBytes, forceCloseConnections: true });
  // Bodies stay raw strings until the pipeline has checked the key, so malformed JSON is a 400 after auth,
  // and any content type is read (RxScale's docs always send JSON).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: FastifyError | HttpError, _request, reply) => {
    if (error instanceof HttpError) return reply.code(error.status).headers(error.headers).send(error.body);
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.code(413).send({ error: `Request body larger than ${opts.bodyLimitBytes} bytes` });
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500)
      return reply.code(error.statusCode).send({ error: error.message });
    console.error(`[sandbox] unexpected error: ${error.message}`);
    return reply.code(500).send({ error: 'Bad request' });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: ERROR_MESSAGES.notFound }));

  app.addHook('onResponse', (request, reply, done) => {
    const path = request.url.split('?')[0] ?? request.url;
    if (!path.startsWith('/_admin')) {
      const meta = requestMeta.get(request);
      const query = Object.fromEntries(
        Object.entries(request.query as Record<string, unknown>).map(([k, v]) => [
          k,
          k === 'search' ? '***' : String(v),
        ]),
      );
      const durationMs = Math.round(reply.elapsedTime);
      requestLog.add({
        at: new Date().toISOString(),
        method: request.method,
        path,
        query,
        endpoint: meta?.endpoint ?? null,
        basePath: meta?.basePath ?? null,
        keyId: meta?.keyId ?? null,
        pharmacyUid: meta?.pharmacyUid ?? null,
        status: reply.statusCode,
        durationMs,
      });
      // Request line only: no body, no query (search terms can be patient names), never the key.
      if (opts.log)
        console.log(
          `${request.method} ${path} ${reply.statusCode} ${durationMs}ms key=${meta?.keyId ?? '-'}`,
        );
    }
    done();
  });

  registerRxScaleApi(app, {
    store,
    orders,
    skus,
    subscriptions,
    rateLimiter,
    faults,
    shutdown: shutdown.signal,
  });
  registerAdminApi(app, {
    store,
    views,
    directory,
    orders,
    skus,
    dispatcher,
    faults,
    rateLimiter,
    requestLog,
    settings,
    reset: (reseed) => {
      dispatcher.reset();
      store.clear();
      faults.clear();
      rateLimiter.reset();
      requestLog.clear();
      Object.assign(settings, SandboxSettings.parse({}));
      if (reseed) loadSeed();
      return Promise.resolve();
    },
  });

  await app.listen({ port: opts.port, host: opts.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${host}:${port}`;
  let closed: Promise<void> | undefined;
  return {
    url,
    adminUrl: `${url}/_admin`,
    apiUrl: (basePath = DEFAULT_RXSCALE_BASE_PATH) => `${url}${basePath}`,
    port,
    options: opts,
    close() {
      closed ??= (async () => {
        shutdown.abort();
        dispatcher.close();
        await app.close();
      })();
      return closed;
    },
  };
}
