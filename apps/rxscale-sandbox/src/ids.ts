import { createHash, randomBytes } from 'node:crypto';

/** Opaque uids shaped like the docs' examples (`po-…`, `psku-…`); clients must not parse them (API.md §4). */
export function newUid(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/** A fresh API key; only its hash is kept, so the key is shown once (API.md §2). */
export function newApiKey(): string {
  return `sbx_${randomBytes(24).toString('base64url')}`;
}

/** Webhook signing secrets look like the docs' placeholder: `whsec_` + random (API.md §7.11). */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}
