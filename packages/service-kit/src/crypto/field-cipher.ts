import { type ErrorCode } from '@rxbridge/contracts';
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

/**
 * Column encryption for patient data at rest (DESIGN.md §7): AES-256-GCM with a random 96-bit nonce per
 * value, the key id in the stored text so keys can be rotated, and optional associated data that binds a
 * ciphertext to its place (row and column), so a value copied to another row does not decrypt.
 *
 * Envelope (fits a `text` column, ASCII only): `v1.<keyId>.<nonce>.<ciphertext+tag>`, nonce and ciphertext
 * base64url without padding. The header `v1.<keyId>.` is authenticated together with the associated data, so
 * neither the version nor the key id can be altered without the value failing to decrypt.
 */

export const FIELD_ENVELOPE_VERSION = 'v1';

/** A key id: short, and without the envelope's separator. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** AES-256: 32 bytes. */
export const FIELD_KEY_BYTES = 32;

/** GCM's recommended nonce size (NIST SP 800-38D §8.2): random 96 bits per value. */
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * cipher_keyring_invalid: the keys given to the cipher are unusable (no active key, wrong size, bad id).
 * cipher_envelope_invalid: the text is not an envelope of a known version (e.g. plaintext left in an
 * encrypted column). cipher_key_unknown: the envelope names a key the cipher does not hold (it was removed
 * before every value was re-encrypted). cipher_authentication_failed: the tag did not verify (tampered
 * ciphertext, nonce or tag, another key, or other associated data).
 */
export type FieldCipherErrorCode = Extract<
  ErrorCode,
  'cipher_keyring_invalid' | 'cipher_envelope_invalid' | 'cipher_key_unknown' | 'cipher_authentication_failed'
>;

/**
 * What FieldCipher throws. Its message names the problem and at most the key id: never the plaintext, the
 * ciphertext or key material, so it can be logged as it is.
 */
export class FieldCipherError extends Error {
  override readonly name = 'FieldCipherError';
  /** A value that does not decrypt will not decrypt on a retry (the plumbing treats it as permanent). */
  readonly permanent = true;
  constructor(
    readonly code: FieldCipherErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface FieldCipherOptions {
  /** Every key that may still be found in stored values, by id. */
  keys: ReadonlyMap<string, KeyObject>;
  /** The key new values are encrypted with; must be one of `keys`. */
  activeKeyId: string;
}

interface ParsedEnvelope {
  keyId: string;
  header: string;
  nonce: Buffer;
  sealed: Buffer;
}

/** A 32-byte key as the secret KeyObject FieldCipher takes (its inspection and JSON show no key bytes). */
export function fieldKey(bytes: Buffer): KeyObject {
  if (bytes.length !== FIELD_KEY_BYTES)
    throw new FieldCipherError('cipher_keyring_invalid', `a key must be ${FIELD_KEY_BYTES} bytes`);
  return createSecretKey(bytes);
}

export class FieldCipher {
  readonly activeKeyId: string;
  // Private fields: not enumerable, not in JSON, not in util.inspect of the cipher.
  readonly #keys: ReadonlyMap<string, KeyObject>;

  constructor(options: FieldCipherOptions) {
    for (const [id, key] of options.keys) {
      if (!KEY_ID_PATTERN.test(id))
        throw new FieldCipherError(
          'cipher_keyring_invalid',
          'a key id is 1-32 letters, digits, "_" or "-" (no ".")',
        );
      if (key.type !== 'secret' || key.symmetricKeySize !== FIELD_KEY_BYTES)
        throw new FieldCipherError(
          'cipher_keyring_invalid',
          `key "${id}" is not a ${FIELD_KEY_BYTES}-byte secret key`,
        );
    }
    if (!options.keys.has(options.activeKeyId))
      throw new FieldCipherError('cipher_keyring_invalid', 'the active key id is not one of the keys');
    this.#keys = new Map(options.keys);
    this.activeKeyId = options.activeKeyId;
  }

  /** Key ids this cipher can decrypt, the active one included. */
  keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  /**
   * Encrypts with the active key and a fresh random nonce. Pass the same `aad` (e.g. `fieldAad(...)` of the
   * row and column) to decrypt; it is authenticated, not stored.
   */
  encrypt(plaintext: string, aad?: string): string {
    const key = this.#keys.get(this.activeKeyId)!;
    const header = `${FIELD_ENVELOPE_VERSION}.${this.activeKeyId}.`;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(header, aad));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${header}${nonce.toString('base64url')}.${sealed.toString('base64url')}`;
  }

  decrypt(envelope: string, aad?: string): string {
    const parsed = parseEnvelope(envelope);
    const key = this.#keys.get(parsed.keyId);
    if (!key)
      throw new FieldCipherError(
        'cipher_key_unknown',
        `the value was encrypted with key "${parsed.keyId}", which is not configured`,
      );
    const decipher = createDecipheriv('aes-256-gcm', key, parsed.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(parsed.header, aad));
    decipher.setAuthTag(parsed.sealed.subarray(parsed.sealed.length - TAG_BYTES));
    try {
      const body = decipher.update(parsed.sealed.subarray(0, parsed.sealed.length - TAG_BYTES));
      return Buffer.concat([body, decipher.final()]).toString('utf8');
    } catch {
      // OpenSSL's message says nothing useful and nothing secret either; ours says what it means.
      throw new FieldCipherError(
        'cipher_authentication_failed',
        `the value does not authenticate under key "${parsed.keyId}" (altered, or other associated data)`,
      );
    }
  }

  /** True when the value is not under the active key (a re-encrypt job should move it). */
  needsReencryption(envelope: string): boolean {
    return parseEnvelope(envelope).keyId !== this.activeKeyId;
  }

  /** The key id an envelope names (checks its form, not its authenticity). */
  static keyIdOf(envelope: string): string {
    return parseEnvelope(envelope).keyId;
  }

  toJSON(): { activeKeyId: string; keyIds: string[] } {
    return { activeKeyId: this.activeKeyId, keyIds: this.keyIds() };
  }
}

/**
 * The associated data RxBridge uses for a column value: table, column and row id, so a ciphertext moved to
 * another row or column fails to decrypt. Use it for writes and reads (and in `reencryptColumn`).
 */
export function fieldAad(table: string, column: string, rowId: string): string {
  return `${table}.${column}#${rowId}`;
}

function associatedData(header: string, aad: string | undefined): Buffer {
  // The header has no NUL, so header + NUL + aad is unambiguous.
  return Buffer.from(`${header}\u0000${aad ?? ''}`, 'utf8');
}

function parseEnvelope(envelope: string): ParsedEnvelope {
  const parts = typeof envelope === 'string' ? envelope.split('.') : [];
  const [version, keyId, nonce, sealed] = parts;
  if (
    parts.length !== 4 ||
    version !== FIELD_ENVELOPE_VERSION ||
    keyId === undefined ||
    !KEY_ID_PATTERN.test(keyId) ||
    nonce === undefined ||
    sealed === undefined ||
    !BASE64URL.test(nonce) ||
    !BASE64URL.test(sealed)
  )
    throw new FieldCipherError(
      'cipher_envelope_invalid',
      `the value is not a ${FIELD_ENVELOPE_VERSION} field envelope`,
    );
  const nonceBytes = Buffer.from(nonce, 'base64url');
  const sealedBytes = Buffer.from(sealed, 'base64url');
  // Re-encoding catches non-canonical base64url (trailing bits) that would otherwise decode silently.
  if (
    nonceBytes.length !== NONCE_BYTES ||
    sealedBytes.length < TAG_BYTES ||
    nonceBytes.toString('base64url') !== nonce ||
    sealedBytes.toString('base64url') !== sealed
  )
    throw new FieldCipherError(
      'cipher_envelope_invalid',
      `the value is not a ${FIELD_ENVELOPE_VERSION} field envelope`,
    );
  return { keyId, header: `${version}.${keyId}.`, nonce: nonceBytes, sealed: sealedBytes };
}
