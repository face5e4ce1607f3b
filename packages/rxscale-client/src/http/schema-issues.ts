import type { z } from 'zod';
import type { RxScaleSchemaIssue } from '../errors.js';

/** `data[3].order.uid` from zod's path, for messages that name the bad field but never its value. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

export function schemaIssues(error: z.ZodError): RxScaleSchemaIssue[] {
  return error.issues.map((issue) => {
    // Only the expected type/format is kept from zod's issue: its message may quote the received value.
    const expected = 'expected' in issue && typeof issue.expected === 'string' ? issue.expected : undefined;
    return { path: formatIssuePath(issue.path), code: issue.code, expected };
  });
}
