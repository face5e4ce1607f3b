import type { z } from 'zod';
import { ERROR_MESSAGES, type AuthErrorCode, type ValidationErrorBody } from '@rxbridge/rxscale-contract';

/** An answer other than success, with the body in one of RxScale's three shapes (API.md §5). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

export const notFound = () => new HttpError(404, { error: ERROR_MESSAGES.notFound });
export const badRequest = (error: string) => new HttpError(400, { error });
export const conflict = (error: string) => new HttpError(409, { error });
export const authError = (status: 401 | 403, code: AuthErrorCode, description: string) =>
  new HttpError(status, { code, description });

/** Field-level errors: the sandbox's own shape, since RxScale's was not retrieved (docs/design.md §12). */
export function validationError(summary: string, error: z.ZodError): HttpError {
  const body: ValidationErrorBody = {
    error: summary,
    details: error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })),
  };
  return new HttpError(400, body);
}

/** Parses `input` with `schema` or throws a 400 naming each wrong field. */
export function parseOr400<T extends z.ZodType>(schema: T, input: unknown, summary: string): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationError(summary, result.error);
  return result.data;
}

/** JSON body as received (kept a string by the content-type parser so bad JSON is a 400 after auth). */
export function parseJsonBody(raw: unknown): unknown {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw badRequest('Malformed JSON body');
  }
}
