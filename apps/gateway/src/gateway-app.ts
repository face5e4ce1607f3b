import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createLogger, type ServiceLogger } from '@rxbridge/service-kit';
import type { GatewayConfig } from './config/gateway-config.js';
import { GatewayModule } from './gateway.module.js';
import type { WebhookProducer } from './kafka/kafka-ingest.producer.js';
import { HttpErrorFilter } from './http-error.filter.js';
import { GatewayMetrics } from './metrics/gateway-metrics.js';
import { WebhookIngestService } from './webhooks/webhook-ingest.service.js';

const REQUEST_TIMEOUT_MS = 15_000;

export function createGatewayLogger(config: GatewayConfig): ServiceLogger {
  // service-kit's logger censors signatures, secrets and patient data by key name; the gateway logs no body.
  return createLogger({ service: 'gateway', level: config.logLevel });
}

/**
 * Builds the gateway (not yet listening). Fastify reads the body; the JSON parser keeps the exact bytes
 * as a Buffer, because the signature covers those bytes and nothing re-serialised.
 */
export async function createGatewayApp(
  config: GatewayConfig,
  logger: ServiceLogger = createGatewayLogger(config),
  producer?: WebhookProducer,
): Promise<NestFastifyApplication> {
  // requestTimeout bounds a slow sender (this endpoint faces the internet); RxScale itself gives up after 5 s.
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    logger: false,
    requestTimeout: REQUEST_TIMEOUT_MS,
  });
  const fastify: FastifyInstance = adapter.getInstance();
  fastify.removeAllContentTypeParsers();
  // Anything else (or no content type with a body) is refused by Fastify with 415 before the body is read.
  fastify.addContentTypeParser(
    ['application/json'],
    { parseAs: 'buffer', bodyLimit: config.http.bodyLimitBytes },
    (_req, body, done) => {
      done(null, body);
    },
  );

  const app = await NestFactory.create<NestFastifyApplication>(
    GatewayModule.forRoot(config, logger, producer),
    adapter,
    {
      logger: false,
      bodyParser: false,
    },
  );
  const metrics = app.get(GatewayMetrics);
  const ingest = app.get(WebhookIngestService);

  // An unknown source is refused before its body is read.
  // A callback hook rather than an async one: it runs on every request, and most pass straight through.
  fastify.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const source = (req.params as Record<string, string | undefined> | undefined)?.source;
    if (
      source !== undefined &&
      req.routeOptions.url?.startsWith('/webhooks/rxscale/') &&
      !ingest.knowsSource(source)
    ) {
      metrics.outcome('unknown_source');
      void reply.code(404).send({ status: 'error', error: 'not_found' });
      return;
    }
    done();
  });
  // On shutdown the server stops accepting, but a keep-alive connection whose request was in flight when it
  // began would stay open until its keep-alive timeout (72 s): answers from then on close their connection.
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (_req, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
  app.useGlobalFilters(new HttpErrorFilter(metrics, logger));
  app.enableShutdownHooks();
  return app;
}
