import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Type,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { TerminusModule } from '@nestjs/terminus';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Histogram } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { HealthCheck } from '../health/health-checks.js';
import type { ServiceLogger } from '../logging/logger.js';
import { NestPinoLogger } from '../logging/nest-logger.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import type { DomainErrorStatuses } from './api-error.js';
import { ApiAuthGuard } from './api-auth.guard.js';
import { ApiTokenVerifier } from './api-tokens.js';
import type { HttpEdgeConfig } from './http-edge-config.js';
import { HttpEdgeExceptionFilter } from './http-edge-exception.filter.js';
import {
  HTTP_EDGE_SETTINGS,
  IdempotencyInterceptor,
  type HttpEdgeSettings,
} from './idempotency.interceptor.js';
import { IdempotencyStore } from './idempotency.store.js';
import { buildOpenApiDocument, type OpenAPIObject } from './openapi-document.js';
import { apiCallerOf } from './require-scope.decorator.js';
import {
  SERVICE_HEALTH_CHECKS,
  SHUTDOWN_DELAY_MS,
  ServiceHealthController,
  ShutdownDrain,
} from './service-health.js';

export interface ServiceHttpAppOptions {
  /** The service's name: the docs' title and the access log's `service`. */
  service: string;
  /** The service's module: its controllers and providers. Do not import HealthModule or MetricsModule in it. */
  module: Type | DynamicModule;
  config: HttpEdgeConfig;
  logger: ServiceLogger;
  /** The service's data source (its schema holds http_idempotency_key: add httpEdgeMigrations). */
  dataSource: DataSource;
  /** What /health/ready checks: databaseHealthCheck, kafkaHealthCheck, an RxScale reachability check. */
  healthChecks?: HealthCheck[];
  /** Serves /metrics (without a token) when given. */
  metrics?: ServiceMetrics;
  /** The service's domain error codes and their HTTP statuses. */
  errorStatuses?: DomainErrorStatuses;
  /** The API's version in the OpenAPI document. Default 1.0.0. */
  apiVersion?: string;
}

export interface ServiceHttpApp {
  /** Not yet listening: connect plumbing if the service consumes, then `app.listen(port, host)`. */
  app: NestFastifyApplication;
  /** The document served at /docs/json; write it with writeOpenApiDocument, test it with assertOpenApiDocumentCurrent. */
  openApi: OpenAPIObject;
}

const REQUEST_TIMEOUT_MS = 30_000;
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

@Injectable()
class IdempotencyHousekeeping implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(IdempotencyStore) private readonly store: IdempotencyStore,
    @Inject(HTTP_EDGE_SETTINGS) private readonly settings: HttpEdgeSettings,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.store
        .purge()
        .catch((err: unknown) =>
          this.settings.logger.warn({ err }, 'could not purge expired idempotency keys'),
        );
    }, PURGE_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}

@Module({})
class ServiceHttpModule {
  static forRoot(options: ServiceHttpAppOptions): DynamicModule {
    const settings: HttpEdgeSettings = { errorStatuses: options.errorStatuses ?? {}, logger: options.logger };
    return {
      module: ServiceHttpModule,
      imports: [
        options.module,
        TerminusModule.forRoot({ logger: false }),
        ...(options.metrics ? [MetricsModule.forRoot(options.metrics)] : []),
      ],
      controllers: [ServiceHealthController],
      providers: [
        { provide: HTTP_EDGE_SETTINGS, useValue: settings },
        { provide: ApiTokenVerifier, useValue: new ApiTokenVerifier(options.config.tokens) },
        {
          provide: IdempotencyStore,
          useValue: new IdempotencyStore(options.dataSource, {
            retentionHours: options.config.idempotencyRetentionHours,
          }),
        },
        { provide: SERVICE_HEALTH_CHECKS, useValue: options.healthChecks ?? [] },
        { provide: SHUTDOWN_DELAY_MS, useValue: options.config.shutdownDelayMs },
        ShutdownDrain,
        IdempotencyHousekeeping,
        { provide: APP_GUARD, useClass: ApiAuthGuard },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      ],
    };
  }
}

/**
 * A service's REST app on Fastify: bearer-token scopes on every route, zod-parsed input, one error shape,
 * idempotent writes, access logs, /health/live + /health/ready (with the shutdown delay), /metrics and
 * /docs (+ /docs/json). Shutdown hooks are enabled (SIGTERM, SIGINT).
 */
export async function createServiceHttpApp(options: ServiceHttpAppOptions): Promise<ServiceHttpApp> {
  const { config, logger } = options;
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    logger: false,
    requestTimeout: REQUEST_TIMEOUT_MS,
  });
  const fastify: FastifyInstance = adapter.getInstance();
  // JSON only: a text/plain body would reach the handler as a string; refuse it with 415 instead.
  fastify.removeContentTypeParser('text/plain');
  installAccessLog(fastify, logger, options.service, options.metrics);
  installConnectionClose(fastify);

  if (config.tokens.length === 0)
    logger.warn('HTTP_API_TOKENS lists no token: every protected route answers 401');
  const app = await NestFactory.create<NestFastifyApplication>(ServiceHttpModule.forRoot(options), adapter, {
    logger: new NestPinoLogger(logger),
    bodyParser: false,
  });
  app.useGlobalFilters(new HttpEdgeExceptionFilter(options.errorStatuses ?? {}, logger));
  const openApi = buildOpenApiDocument(app, {
    service: options.service,
    version: options.apiVersion ?? '1.0.0',
  });
  SwaggerModule.setup('docs', app, openApi, { jsonDocumentUrl: 'docs/json', yamlDocumentUrl: 'docs/yaml' });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  return { app, openApi };
}

const QUIET_ROUTES = /^\/(health\/|metrics$|docs)/;

/**
 * One line per answered request: method, route pattern (never the URL, which holds ids and query values),
 * status, duration and the token's name. No body, query value or header is logged. Probes and scrapes are
 * logged at debug, or they would drown the rest. With metrics, rxbridge_http_request_duration_seconds
 * {method,route,status} too (route patterns keep the series bounded).
 */
function installAccessLog(
  fastify: FastifyInstance,
  logger: ServiceLogger,
  service: string,
  metrics: ServiceMetrics | undefined,
): void {
  const log = logger.child({ component: 'http', http_service: service });
  const duration = metrics
    ? new Histogram({
        name: 'rxbridge_http_request_duration_seconds',
        help: 'HTTP requests answered by the service API, by method, route pattern and status',
        labelNames: ['method', 'route', 'status'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [metrics.registry],
      })
    : undefined;
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = request.routeOptions.url ?? '(unmatched)';
    const line = {
      method: request.method,
      route,
      status: reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime * 10) / 10,
      token_name: apiCallerOf(request)?.name ?? null,
      request_id: request.id,
    };
    duration?.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    if (QUIET_ROUTES.test(route)) log.debug(line, 'http request');
    else log.info(line, 'http request');
    done();
  });
}

/**
 * Once the server closes, an idle keep-alive connection would stay open until its timeout: answers from
 * then on ask the client to reconnect (to another pod).
 */
function installConnectionClose(fastify: FastifyInstance): void {
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
}
