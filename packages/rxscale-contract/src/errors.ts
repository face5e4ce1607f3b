import { z } from 'zod';

/** Standard error body (API.md §5, shape 1), e.g. `{"error": "Resource not found"}`. */
export const StandardErrorBody = z.looseObject({ error: z.string() });
export type StandardErrorBody = z.infer<typeof StandardErrorBody>;

/** Authentication/authorization codes documented in API.md §5 (shape 2). */
export const AUTH_ERROR_CODES = [
  'authorization_header_missing',
  'invalid_header',
  'token_expired',
  'invalid_claims',
  'invalid_api_key',
  'api_key_missing',
  'permission_denied',
] as const;
export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number];

/** `{code, description}`; the code stays a string so an undocumented code still parses. */
export const AuthErrorBody = z.looseObject({ code: z.string(), description: z.string() });
export type AuthErrorBody = z.infer<typeof AuthErrorBody>;

/**
 * Field-level validation errors (API.md §5, shape 3). The real shape was not retrieved, so this is the
 * sandbox's own: a standard `error` summary plus `details`. A client should rely on `error` only.
 */
export const ValidationErrorBody = z.looseObject({
  error: z.string(),
  details: z.array(z.looseObject({ field: z.string(), message: z.string() })),
});
export type ValidationErrorBody = z.infer<typeof ValidationErrorBody>;

export const ERROR_MESSAGES = {
  notFound: 'Resource not found',
  rateLimited: 'Rate limit exceeded',
} as const;

export type RxScaleErrorBody =
  | { kind: 'auth'; body: AuthErrorBody }
  | { kind: 'validation'; body: ValidationErrorBody }
  | { kind: 'standard'; body: StandardErrorBody }
  | { kind: 'unknown'; body: unknown };

/** Classifies an error body by its shape (API.md §5: look for `code`, then `error`, else keep it raw). */
export function classifyErrorBody(body: unknown): RxScaleErrorBody {
  const auth = AuthErrorBody.safeParse(body);
  if (auth.success) return { kind: 'auth', body: auth.data };
  const validation = ValidationErrorBody.safeParse(body);
  if (validation.success) return { kind: 'validation', body: validation.data };
  const standard = StandardErrorBody.safeParse(body);
  if (standard.success) return { kind: 'standard', body: standard.data };
  return { kind: 'unknown', body };
}
