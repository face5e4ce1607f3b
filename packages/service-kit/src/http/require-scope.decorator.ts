import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { ApiCaller, ApiScope } from './api-scopes.js';

export const REQUIRED_SCOPES = Symbol('rxbridge:required-scopes');
export const PUBLIC_ROUTE = Symbol('rxbridge:public-route');

/**
 * The scopes a route (or every route of a controller) needs; a token must hold all of them. A route that
 * declares neither this nor PublicRoute is refused to every caller (403), so a forgotten decorator fails
 * closed.
 */
export function RequireScope(...scopes: [ApiScope, ...ApiScope[]]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_SCOPES, scopes),
    ApiBearerAuth(),
    ApiExtension('x-required-scopes', scopes),
  );
}

/** A route anyone may call without a token (health, docs). */
export function PublicRoute(): MethodDecorator & ClassDecorator {
  return SetMetadata(PUBLIC_ROUTE, true);
}

// Keyed by the Node request, which Fastify's request wraps for its whole life, so the access log (a
// Fastify hook) and Nest's handlers see the same caller.
const callers = new WeakMap<object, ApiCaller>();

export function setApiCaller(request: FastifyRequest, caller: ApiCaller): void {
  callers.set(request.raw, caller);
}

/** The authenticated caller of a request, if the guard accepted its token. */
export function apiCallerOf(request: FastifyRequest): ApiCaller | undefined {
  return callers.get(request.raw);
}

/**
 * The handler's caller: `list(@Caller() caller: ApiCaller)`, e.g. to include patient data only when
 * `caller.scopes.has('orders:patient-data')`.
 */
export const Caller = createParamDecorator((_: unknown, ctx: ExecutionContext): ApiCaller | undefined =>
  apiCallerOf(ctx.switchToHttp().getRequest<FastifyRequest>()),
);
