import { Body, Param, Query, type PipeTransform } from '@nestjs/common';
import { ApiBody, ApiParam, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiError, type ApiErrorDetail } from './api-error.js';

type Part = 'body' | 'query' | 'path';

/** A zod schema as an OpenAPI 3.0 schema object: the document and the parser read the same definition. */
export function toOpenApiSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  delete json.$schema;
  return json;
}

/** zod's issues as details: path, code and zod's own message, which names expectations, not the input. */
export function issueDetails(error: z.ZodError, part: Part): ApiErrorDetail[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : `(${part})`,
    issue: issue.code,
    message: issue.message,
  }));
}

class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly part: Part,
  ) {}

  transform(value: unknown): z.output<S> {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    throw new ApiError(
      400,
      'invalid_request',
      `the request ${this.part === 'path' ? 'path' : this.part} is invalid`,
      issueDetails(result.error, this.part),
    );
  }
}

function methodDescriptor(
  target: object,
  key: string | symbol | undefined,
): [string | symbol, PropertyDescriptor] {
  if (key === undefined) throw new Error('ZodBody/ZodQuery/ZodParam decorate a route handler parameter');
  return [key, Object.getOwnPropertyDescriptor(target, key)!];
}

/**
 * The request body parsed with `schema` (400 with field details otherwise), documented from it: as
 * optional when the schema accepts no body at all (`z.strictObject({...}).optional()`).
 */
export function ZodBody(schema: z.ZodType): ParameterDecorator {
  return (target, key, index) => {
    Body(new ZodPipe(schema, 'body'))(target, key, index);
    const required = !schema.safeParse(undefined).success;
    ApiBody({ schema: toOpenApiSchema(schema, 'input'), required })(target, ...methodDescriptor(target, key));
  };
}

/** The query string parsed with an object schema (values arrive as strings: use z.coerce where needed). */
export function ZodQuery(schema: z.ZodObject): ParameterDecorator {
  return (target, key, index) => {
    Query(new ZodPipe(schema, 'query'))(target, key, index);
    const json = toOpenApiSchema(schema, 'input') as {
      properties?: Record<string, Record<string, unknown>>;
      required?: string[];
    };
    const [k, descriptor] = methodDescriptor(target, key);
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      ApiQuery({ name, required: json.required?.includes(name) ?? false, schema: property })(
        target,
        k,
        descriptor,
      );
    }
  };
}

/** One path parameter (`@Get(':orderId')`) parsed with `schema`. */
export function ZodParam(name: string, schema: z.ZodType): ParameterDecorator {
  return (target, key, index) => {
    Param(name, new ZodPipe(schema, 'path'))(target, key, index);
    ApiParam({ name, required: true, schema: toOpenApiSchema(schema, 'input') })(
      target,
      ...methodDescriptor(target, key),
    );
  };
}

/** The error shape's place in the document (buildOpenApiDocument puts it there). */
export const API_ERROR_REF = { $ref: '#/components/schemas/ApiError' };

/**
 * Documents a refusal a route answers besides the edge's own (which buildOpenApiDocument adds to every
 * route): a domain error's status, in the one error shape, with what it means here.
 */
export function RefusesWith(status: number, description: string): MethodDecorator {
  return ApiResponse({ status, description, schema: API_ERROR_REF });
}

/** Documents a route's answer for `status` from the schema the handler's result satisfies. */
export function ZodResponse(status: number, schema: z.ZodType, description = 'OK'): MethodDecorator {
  return ApiResponse({ status, description, schema: toOpenApiSchema(schema, 'output') });
}
