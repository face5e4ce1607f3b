import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { MetricsController } from '../metrics/metrics.module.js';
import { ApiError } from './api-error.js';
import type { ApiScope } from './api-scopes.js';
import { ApiTokenVerifier } from './api-tokens.js';
import { PUBLIC_ROUTE, REQUIRED_SCOPES, setApiCaller } from './require-scope.decorator.js';

// Scraped inside the cluster without a token; the metrics hold no patient data.
const PUBLIC_CONTROLLERS = new Set<unknown>([MetricsController]);

const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;

/**
 * The global guard: a valid bearer token (401 otherwise) holding every scope the route requires (403
 * otherwise). Neither answer says what was wrong: a missing, malformed and unknown token look alike, and
 * so do a missing scope and a route that declares none.
 */
@Injectable()
export class ApiAuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ApiTokenVerifier) private readonly verifier: ApiTokenVerifier,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    // A hybrid app's Kafka handlers pass through global guards too; they are not callers.
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (PUBLIC_CONTROLLERS.has(context.getClass())) return true;
    if (this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, targets)) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const match = BEARER.exec(request.headers.authorization ?? '');
    const caller = match ? this.verifier.verify(match[1]!) : undefined;
    if (!caller) {
      throw new ApiError(401, 'unauthorized', 'a valid bearer token is required', undefined, {
        'www-authenticate': 'Bearer',
      });
    }
    setApiCaller(request, caller);
    const required = this.reflector.getAllAndOverride<ApiScope[] | undefined>(REQUIRED_SCOPES, targets);
    if (!required || !required.every((s) => caller.scopes.has(s))) {
      throw new ApiError(403, 'forbidden', 'the token does not allow this');
    }
    return true;
  }
}
