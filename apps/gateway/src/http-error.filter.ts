import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { ErrorCode } from '@rxbridge/contracts';
import type { FastifyReply } from 'fastify';
import type { ServiceLogger } from '@rxbridge/service-kit';
import type { GatewayMetrics } from './metrics/gateway-metrics.js';

/**
 * Refusals raised by the HTTP layer before a handler runs (Fastify's 415 for another content type, 413
 * over the body limit, Nest's 404 for an unknown path) get the same small body as the gateway's own, and
 * are counted. Nothing about the request is logged.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly logger: ServiceLogger,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const status = statusOf(exception);
    let error: ErrorCode = 'bad_request';
    if (status === 415) {
      this.metrics.outcome('unsupported_media_type');
      error = 'unsupported_media_type';
    } else if (status === 413) {
      this.metrics.outcome('too_large');
      error = 'payload_too_large';
    } else if (status === 404) {
      error = 'not_found';
    } else if (exception instanceof HttpException && status === 503) {
      // /health/ready's report (service-kit's HealthController) names the failed check; it holds no secret.
      void reply.code(status).send(exception.getResponse());
      return;
    } else if (status >= 500) {
      error = 'internal';
      this.logger.error(
        {
          err: exception instanceof Error ? { name: exception.name, message: exception.message } : 'unknown',
        },
        'request failed',
      );
    }
    void reply.code(status).send({ status: 'error', error });
  }
}

function statusOf(exception: unknown): number {
  if (exception instanceof HttpException) return exception.getStatus();
  const s = (exception as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' && s >= 400 && s < 600 ? s : 500;
}
