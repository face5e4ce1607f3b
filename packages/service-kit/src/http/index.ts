// scopes and tokens: one list, shared with the light `@rxbridge/service-kit/tokens` entry
export * from '../entries/tokens.js';
export { httpEdgeConfig, type HttpEdgeConfig } from './http-edge-config.js';
export {
  ApiError,
  toErrorResponse,
  type ApiErrorBody,
  type ApiErrorDetail,
  type DomainErrorStatuses,
  type ErrorResponse,
} from './api-error.js';
export { RequireScope, PublicRoute, Caller, apiCallerOf } from './require-scope.decorator.js';
export { RefusesWith, ZodBody, ZodQuery, ZodParam, ZodResponse, toOpenApiSchema } from './zod-request.js';
export { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAY_HEADER } from './idempotency.interceptor.js';
export { IdempotencyStore, type IdempotencyStoreOptions } from './idempotency.store.js';
export {
  httpEdgeMigrations,
  CreateHttpIdempotencyKey1790000000100,
  AddHttpIdempotencyContentHash1790000000101,
} from './idempotency.migration.js';
export {
  STREAMED_BODY_DIGEST,
  digestingStream,
  streamedBodyOf,
  type DigestingStream,
  type StreamedRequestBody,
} from './streamed-body.js';
export {
  buildOpenApiDocument,
  renderOpenApiDocument,
  writeOpenApiDocument,
  assertOpenApiDocumentCurrent,
  ApiErrorBodySchema,
  type OpenAPIObject,
} from './openapi-document.js';
export { createServiceHttpApp, type ServiceHttpAppOptions, type ServiceHttpApp } from './service-http-app.js';
