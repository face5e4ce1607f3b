import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiCaller, ApiScope } from './api-scopes.js';

/** A token as configured: never the token itself, only its hash (HTTP_API_TOKENS). */
export interface ApiTokenEntry {
  name: string;
  /** `sha256:` and 64 lowercase hex digits of the token's UTF-8 bytes. */
  hash: string;
  scopes: ApiScope[];
}

export const API_TOKEN_PREFIX = 'rxb_';
export const API_TOKEN_HASH = /^sha256:[0-9a-f]{64}$/;

/**
 * SHA-256, not a password hash: tokens are 256 random bits (mintApiToken), so nothing can be guessed or
 * looked up and a slow hash would only cost every request. The `sha256:` prefix leaves room for another
 * scheme without reinterpreting old entries.
 */
export function hashApiToken(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

/** A new random token and its config entry. Show the token once; store only the entry. */
export function mintApiToken(name: string, scopes: ApiScope[]): { token: string; entry: ApiTokenEntry } {
  const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, entry: { name, hash: hashApiToken(token), scopes } };
}

/**
 * Finds the caller a presented token belongs to. The presented token is hashed and compared with every
 * configured hash with timingSafeEqual, without stopping at a match, so the time taken says nothing about
 * which entry (or how much of one) matched.
 */
export class ApiTokenVerifier {
  private readonly entries: { digest: Buffer; caller: ApiCaller }[];

  constructor(entries: readonly ApiTokenEntry[]) {
    this.entries = entries.map((e) => ({
      digest: Buffer.from(e.hash.slice('sha256:'.length), 'hex'),
      caller: { name: e.name, scopes: new Set(e.scopes) },
    }));
  }

  get size(): number {
    return this.entries.length;
  }

  verify(presented: string): ApiCaller | undefined {
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let found: ApiCaller | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, digest) && !found) found = entry.caller;
    }
    return found;
  }
}
