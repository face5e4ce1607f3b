import {
  assertWebhookSignature,
  computeWebhookSignature,
  verifyWebhookSignature,
} from '../src/webhooks/webhook-signature.js';
import { RxScaleConfigError, RxScaleWebhookError } from '../src/errors.js';

// Vectors computed outside the code under test, with OpenSSL:
//   printf '%s' "$BODY" > body.json
//   openssl dgst -sha256 -hmac 'whsec_TEST0nly9fQe2LmZ7xKc41' body.json
//   openssl dgst -sha256 -hmac 'TEST0nly9fQe2LmZ7xKc41' body.json       (prefix stripped: must NOT match)
//   openssl dgst -sha256 -hmac 'whsec_OLDsecretR0tat3d' body.json
//   printf '' | openssl dgst -sha256 -hmac 'whsec_TEST0nly9fQe2LmZ7xKc41'
//   printf 'Apotheke M\xc3\xbcller \xe2\x82\xac' | openssl dgst -sha256 -hmac 'whsec_TEST0nly9fQe2LmZ7xKc41'
const SECRET = 'whsec_TEST0nly9fQe2LmZ7xKc41';
const OLD_SECRET = 'whsec_OLDsecretR0tat3d';
const BODY = Buffer.from(
  '{"event_type":"pharmacy_sku_stock_updated","timestamp":1736418000,"payload_version":"1","data":{"uid":"psku-m51x","external_id":"WAWI-448812","price":2349,"stock":10,"pharmacy":"ph-7q2lnd","sku":{"uid":"sku-ibu400","display_name":"Ibuprofen 400 mg, 20 Tabletten","pzn":"06312077"},"created_at":1735689600,"updated_at":1736418000,"deleted_at":null}}',
  'utf8',
);
const SIG_WITH_PREFIX = 'c43893a95c9be80a71f2cef194409d6fe901940f950d210be90529f2cb39c04d';
const SIG_PREFIX_STRIPPED = '628fcb6198eb27c2919f34e41d685d65cfca96c02793c64eac16407ccb51e08a';
const SIG_OLD_SECRET = 'f53bdfef1f8a8ae9741e799231bc08201f47e52b96f82674c215e573d44f9125';
const SIG_EMPTY_BODY = 'f0aaffcc78c22d1b9a8a6473f1df1599ba7561559d6b7bcc3997170b6122618d';
const UTF8_BODY = Buffer.from([
  0x41, 0x70, 0x6f, 0x74, 0x68, 0x65, 0x6b, 0x65, 0x20, 0x4d, 0xc3, 0xbc, 0x6c, 0x6c, 0x65, 0x72, 0x20, 0xe2,
  0x82, 0xac,
]);
const SIG_UTF8_BODY = '0cc5ac313a675c74c2540ff1eae026cd1b02d89d4d8e680a340d745091a167b3';

describe('webhook signature', () => {
  it('computes HMAC-SHA256 lowercase hex with the whole secret, whsec_ prefix included', () => {
    expect(computeWebhookSignature(BODY, SECRET)).toBe(SIG_WITH_PREFIX);
    expect(computeWebhookSignature(Buffer.alloc(0), SECRET)).toBe(SIG_EMPTY_BODY);
    expect(computeWebhookSignature(UTF8_BODY, SECRET)).toBe(SIG_UTF8_BODY);
  });

  it('accepts the right signature on the raw bytes', () => {
    expect(verifyWebhookSignature(BODY, SIG_WITH_PREFIX, SECRET)).toEqual({ valid: true, secretIndex: 0 });
    expect(verifyWebhookSignature(UTF8_BODY, SIG_UTF8_BODY, [SECRET])).toEqual({
      valid: true,
      secretIndex: 0,
    });
    expect(verifyWebhookSignature(Buffer.alloc(0), SIG_EMPTY_BODY, SECRET)).toEqual({
      valid: true,
      secretIndex: 0,
    });
  });

  it('does not treat the whsec_ prefix as removable', () => {
    expect(verifyWebhookSignature(BODY, SIG_PREFIX_STRIPPED, SECRET)).toEqual({
      valid: false,
      reason: 'mismatch',
    });
  });

  it('tries every candidate secret, so a rotation can overlap, and says which matched', () => {
    expect(verifyWebhookSignature(BODY, SIG_OLD_SECRET, [SECRET, OLD_SECRET])).toEqual({
      valid: true,
      secretIndex: 1,
    });
    expect(verifyWebhookSignature(BODY, SIG_WITH_PREFIX, [SECRET, OLD_SECRET])).toEqual({
      valid: true,
      secretIndex: 0,
    });
    expect(verifyWebhookSignature(BODY, SIG_OLD_SECRET, [SECRET])).toEqual({
      valid: false,
      reason: 'mismatch',
    });
  });

  it('rejects a body changed by even one byte, or re-serialised', () => {
    const changed = Buffer.from(BODY);
    changed[changed.length - 2] = 0x20;
    expect(verifyWebhookSignature(changed, SIG_WITH_PREFIX, SECRET).valid).toBe(false);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(BODY.toString('utf8')), null, 2));
    expect(verifyWebhookSignature(reserialised, SIG_WITH_PREFIX, SECRET).valid).toBe(false);
  });

  it.each([
    ['missing', undefined, 'missing'],
    ['null', null, 'missing'],
    ['empty', '', 'missing'],
    ['odd-length', SIG_WITH_PREFIX.slice(0, 63), 'malformed'],
    ['truncated', SIG_WITH_PREFIX.slice(0, 32), 'malformed'],
    ['padded with hex', `${SIG_WITH_PREFIX}00`, 'malformed'],
    ['padded with spaces', ` ${SIG_WITH_PREFIX} `, 'malformed'],
    ['prefixed sha256=', `sha256=${SIG_WITH_PREFIX}`, 'malformed'],
    ['non-hex', `${SIG_WITH_PREFIX.slice(0, 63)}g`, 'malformed'],
    ['repeated header', [SIG_WITH_PREFIX, SIG_WITH_PREFIX], 'malformed'],
    ['all zeros', '0'.repeat(64), 'mismatch'],
  ] as const)('rejects a %s signature', (_name, header, reason) => {
    expect(verifyWebhookSignature(BODY, header, SECRET)).toEqual({ valid: false, reason });
  });

  it('accepts upper-case hex of the right digest', () => {
    expect(verifyWebhookSignature(BODY, SIG_WITH_PREFIX.toUpperCase(), SECRET).valid).toBe(true);
  });

  it('refuses to run without a secret or without raw bytes', () => {
    expect(() => verifyWebhookSignature(BODY, SIG_WITH_PREFIX, [])).toThrow(RxScaleConfigError);
    expect(() => verifyWebhookSignature(BODY, SIG_WITH_PREFIX, '')).toThrow(RxScaleConfigError);
    expect(() =>
      verifyWebhookSignature(JSON.parse(BODY.toString()) as Uint8Array, SIG_WITH_PREFIX, SECRET),
    ).toThrow('raw body');
  });

  it('throws a webhook error without the signature or the secret in its message', () => {
    let error: unknown;
    try {
      assertWebhookSignature(BODY, SIG_OLD_SECRET, SECRET);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RxScaleWebhookError);
    expect((error as RxScaleWebhookError).code).toBe('signature_invalid');
    expect((error as Error).message).not.toContain(SIG_OLD_SECRET);
    expect((error as Error).message).not.toContain(SECRET);
    expect(assertWebhookSignature(BODY, SIG_WITH_PREFIX, SECRET)).toEqual({ secretIndex: 0 });
  });
});
