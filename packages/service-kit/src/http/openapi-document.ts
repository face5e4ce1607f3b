import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { z } from 'zod';
import { API_ERROR_REF, toOpenApiSchema } from './zod-request.js';

export type { OpenAPIObject } from '@nestjs/swagger';

const WRITE_METHODS = ['post', 'put', 'patch', 'delete'] as const;

export const ApiErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z
      .array(z.object({ field: z.string(), issue: z.string(), message: z.string() }))
      .optional()
      .describe('Which fields are wrong and how; never the submitted values'),
  }),
});

function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: API_ERROR_REF } } };
}

interface Operation {
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
  'x-required-scopes'?: string[];
  security?: unknown[];
}

/**
 * The OpenAPI 3 document of an app's routes. Bodies, queries and answers come from the zod schemas on the
 * handlers (ZodBody, ZodQuery, ZodParam, ZodResponse); what the edge adds to every route (the error shape,
 * 401/403, Idempotency-Key on writes, 413) is added here, once.
 */
export function buildOpenApiDocument(
  app: INestApplication,
  info: { service: string; version: string; description?: string },
): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(`${info.service} API`)
    .setVersion(info.version)
    .setDescription(
      info.description ??
        'Bearer tokens carry scopes (x-required-scopes on each operation). Every error is {error: {code, message, details?}}.',
    )
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components ??= {};
  document.components.schemas = {
    ...document.components.schemas,
    ApiError: toOpenApiSchema(ApiErrorBodySchema, 'output'),
  };
  for (const path of Object.values(document.paths)) {
    for (const [method, value] of Object.entries(path)) {
      if (!value || typeof value !== 'object' || !('responses' in value)) continue;
      const operation = value as Operation;
      if (operation.requestBody || operation.parameters?.length) {
        operation.responses['400'] ??= errorResponse('The request is invalid (details name the fields)');
      }
      if (operation.requestBody) operation.responses['413'] ??= errorResponse('The body is too large');
      if (operation['x-required-scopes']) {
        operation.responses['401'] ??= errorResponse('No valid bearer token');
        operation.responses['403'] ??= errorResponse('The token lacks a required scope');
        if ((WRITE_METHODS as readonly string[]).includes(method)) {
          operation.parameters = [
            ...(operation.parameters ?? []),
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: true,
              description:
                'Unique per intended write (8-255 printable characters, e.g. a UUID). Retrying with the same key and request returns the first answer.',
              schema: { type: 'string', minLength: 8, maxLength: 255 },
            },
          ];
          operation.responses['409'] ??= errorResponse(
            'A request with this key is still running: retry later',
          );
          operation.responses['422'] ??= errorResponse('The key was used for a different request');
        }
      }
    }
  }
  return document;
}

/** The document as committed: stable key order as built, two-space JSON, one final newline. */
export function renderOpenApiDocument(document: OpenAPIObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Writes `docs/api/<service>.json` (or any path), creating the folder. */
export function writeOpenApiDocument(document: OpenAPIObject, file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderOpenApiDocument(document));
}

/**
 * For a service's staleness test: throws, naming the command that regenerates it, when the committed file
 * differs from the document the code produces (`it('docs/api/order-service.json is current', () =>
 * assertOpenApiDocumentCurrent(openApi, file, 'pnpm --filter @rxbridge/order-service docs:api'))`).
 */
export function assertOpenApiDocumentCurrent(
  document: OpenAPIObject,
  file: string,
  regenerate: string,
): void {
  const committed = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (committed === renderOpenApiDocument(document)) return;
  throw new Error(
    `${file} is ${committed === undefined ? 'missing' : 'stale'}: run \`${regenerate}\` and commit the result`,
  );
}
