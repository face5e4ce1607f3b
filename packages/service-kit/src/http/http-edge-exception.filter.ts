import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceLogger } from '../logging/logger.js';
import { toErrorResponse, type DomainErrorStatuses } from './api-error.js';
import { IDEMPOTENT_REPLAY_HEADER, IdempotentReplay } from './idempotency.interceptor.js';

/**
 * The edge's one exception filter: every thrown value becomes `{error: {code, message, details?}}` with the
 * status its code maps to. Unexpected failures are logged with the route pattern, never the URL or body.
 */
@Catch()
export class HttpEdgeExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly statuses: DomainErrorStatuses,
    private readonly logger: ServiceLogger,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    if (exception instanceof IdempotentReplay) {
      void reply.code(exception.status).header(IDEMPOTENT_REPLAY_HEADER, 'true');
      void (exception.status === 204 ? reply.send() : reply.send(exception.body));
      return;
    }
    const response = toErrorResponse(exception, this.statuses);
    if (response.unexpected) {
      this.logger.error(
        { err: exception, method: request.method, route: request.routeOptions.url ?? '(unmatched)' },
        'request failed',
      );
    }
    void reply.code(response.status).headers(response.headers).send(response.body);
  }
}
