import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect, promisify } from 'node:util';
import {
  ConfigError,
  configSchema,
  FieldCipher,
  FieldCipherError,
  fieldAad,
  fieldKey,
  loadConfig,
  patientDataCryptoConfig,
} from '../../src/index.js';

const run = promisify(execFile);
const keyScript = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  '..',
  'tools',
  'patient-data-key.mjs',
);

function keyring(ids: string[]): Map<string, ReturnType<typeof fieldKey>> {
  return new Map(ids.map((id) => [id, fieldKey(randomBytes(32))]));
}

function expectCipherError(action: () => unknown, code: string): FieldCipherError {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(FieldCipherError);
  expect((caught as FieldCipherError).code).toBe(code);
  return caught as FieldCipherError;
}

/** Flips one bit of the part `index` (0 version .. 3 ciphertext+tag) of an envelope, keeping it well-formed. */
function flipBit(envelope: string, index: number, byte = 0): string {
  const parts = envelope.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[byte < 0 ? bytes.length + byte : byte]! ^= 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

const PATIENT = 'Testa Beispiel, Musterweg 1, 12345 Musterstadt';

describe(FieldCipher.name, () => {
  const keys = keyring(['k1']);
  const cipher = new FieldCipher({ keys, activeKeyId: 'k1' });

  describe('round trip', () => {
    it('decrypts what it encrypted, with and without associated data', () => {
      for (const text of [PATIENT, '', 'ä ö ü ß 🙂', 'x'.repeat(100_000)]) {
        expect(cipher.decrypt(cipher.encrypt(text))).toBe(text);
        const aad = fieldAad('orders', 'patient_name', '42');
        expect(cipher.decrypt(cipher.encrypt(text, aad), aad)).toBe(text);
      }
    });

    it('writes a versioned text envelope naming the key, without the plaintext', () => {
      const envelope = cipher.encrypt(PATIENT);
      expect(envelope).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
      expect(envelope).not.toContain('Testa');
      expect(FieldCipher.keyIdOf(envelope)).toBe('k1');
    });

    it('uses a fresh nonce for every value, so equal plaintexts never give equal ciphertexts', () => {
      const nonces = new Set<string>();
      const envelopes = new Set<string>();
      const n = 50_000;
      for (let i = 0; i < n; i++) {
        const envelope = cipher.encrypt('same');
        envelopes.add(envelope);
        nonces.add(envelope.split('.')[2]!);
      }
      expect(nonces.size).toBe(n);
      expect(envelopes.size).toBe(n);
    });
  });

  describe('refusals', () => {
    const envelope = cipher.encrypt(PATIENT, 'orders.patient_name#1');

    it('refuses a value under another key with the same id', () => {
      const other = new FieldCipher({ keys: keyring(['k1']), activeKeyId: 'k1' });
      expectCipherError(
        () => other.decrypt(envelope, 'orders.patient_name#1'),
        'cipher_authentication_failed',
      );
    });

    it('refuses a value whose key id it does not hold', () => {
      const other = new FieldCipher({ keys: keyring(['k2']), activeKeyId: 'k2' });
      const error = expectCipherError(() => other.decrypt(envelope), 'cipher_key_unknown');
      expect(error.message).toContain('"k1"');
    });

    it.each([
      ['the ciphertext', 3, 0],
      ['the tag', 3, -1],
      ['the nonce', 2, 5],
    ])('refuses a value with a bit flipped in %s', (_what, part, byte) => {
      expectCipherError(
        () => cipher.decrypt(flipBit(envelope, part, byte), 'orders.patient_name#1'),
        'cipher_authentication_failed',
      );
    });

    it('refuses a value moved to another row or column (associated data), or read without it', () => {
      for (const aad of ['orders.patient_name#2', 'orders.patient_email#1', '', undefined])
        expectCipherError(() => cipher.decrypt(envelope, aad), 'cipher_authentication_failed');
    });

    it('refuses a value whose key id was rewritten to another held key', () => {
      const both = new FieldCipher({
        keys: new Map([...keys, ['k2', fieldKey(randomBytes(32))]]),
        activeKeyId: 'k1',
      });
      const relabelled = envelope.replace(/^v1\.k1\./, 'v1.k2.');
      expectCipherError(
        () => both.decrypt(relabelled, 'orders.patient_name#1'),
        'cipher_authentication_failed',
      );
    });

    it.each([
      ['plaintext', PATIENT],
      ['an empty string', ''],
      ['another version', envelope.replace(/^v1\./, 'v2.')],
      ['a missing part', envelope.split('.').slice(0, 3).join('.')],
      ['a short tag', `v1.k1.${envelope.split('.')[2]!}.AAAA`],
      ['a short nonce', `v1.k1.AAAA.${envelope.split('.')[3]!}`],
      ['non-base64url characters', `${envelope.slice(0, -2)}+/`],
    ])('refuses %s as an envelope', (_what, text) => {
      expectCipherError(() => cipher.decrypt(text), 'cipher_envelope_invalid');
    });

    it('never puts plaintext or key material in an error or in its own inspection', () => {
      const keyBytes = randomBytes(32);
      const own = new FieldCipher({ keys: new Map([['k1', fieldKey(keyBytes)]]), activeKeyId: 'k1' });
      const errors: FieldCipherError[] = [];
      for (const attempt of [() => own.decrypt(PATIENT), () => own.decrypt(own.encrypt(PATIENT, 'a'), 'b')]) {
        try {
          attempt();
        } catch (error) {
          errors.push(error as FieldCipherError);
        }
      }
      expect(errors).toHaveLength(2);
      const shown = [
        ...errors.map((e) => `${e.message} ${inspect(e)}`),
        inspect(own),
        JSON.stringify(own),
      ].join('\n');
      expect(shown).not.toContain('Testa');
      expect(shown).not.toContain(keyBytes.toString('base64'));
      expect(shown).not.toContain(keyBytes.toString('hex'));
    });

    it('refuses keyrings it cannot use', () => {
      expectCipherError(
        () => new FieldCipher({ keys: keyring(['k1']), activeKeyId: 'k9' }),
        'cipher_keyring_invalid',
      );
      expectCipherError(
        () => new FieldCipher({ keys: keyring(['k.1']), activeKeyId: 'k.1' }),
        'cipher_keyring_invalid',
      );
      expectCipherError(() => fieldKey(randomBytes(16)), 'cipher_keyring_invalid');
    });
  });

  describe('rotation', () => {
    const old = keyring(['2025']);
    const before = new FieldCipher({ keys: old, activeKeyId: '2025' });
    const after = new FieldCipher({
      keys: new Map([...old, ['2026', fieldKey(randomBytes(32))]]),
      activeKeyId: '2026',
    });

    it('reads values of the old key and writes new ones with the active key', () => {
      const stored = before.encrypt(PATIENT, 'a');
      expect(after.decrypt(stored, 'a')).toBe(PATIENT);
      expect(after.needsReencryption(stored)).toBe(true);
      const fresh = after.encrypt(PATIENT, 'a');
      expect(FieldCipher.keyIdOf(fresh)).toBe('2026');
      expect(after.needsReencryption(fresh)).toBe(false);
      expect(before.needsReencryption(stored)).toBe(false);
    });

    it('says a non-envelope cannot be judged rather than guessing', () => {
      expectCipherError(() => after.needsReencryption(PATIENT), 'cipher_envelope_invalid');
    });
  });
});

describe(patientDataCryptoConfig.name, () => {
  const schema = configSchema({ patientData: patientDataCryptoConfig() });
  const k1 = randomBytes(32).toString('base64');
  const k2 = randomBytes(32).toString('base64');

  function problems(env: Record<string, string>): string {
    try {
      loadConfig(schema, env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).message;
    }
    throw new Error('expected a ConfigError');
  }

  it('gives a working cipher with the one key active when none is named', () => {
    const { patientData } = loadConfig(schema, { PATIENT_DATA_KEYS: JSON.stringify({ k1 }) });
    expect(patientData.activeKeyId).toBe('k1');
    const cipher = new FieldCipher(patientData);
    expect(cipher.decrypt(cipher.encrypt(PATIENT))).toBe(PATIENT);
    expect(JSON.stringify(patientData)).not.toContain(k1);
    expect(inspect(patientData, { depth: 5 })).not.toContain(k1);
  });

  it('uses the named active key among several', () => {
    const { patientData } = loadConfig(schema, {
      PATIENT_DATA_KEYS: JSON.stringify({ k1, k2 }),
      PATIENT_DATA_ACTIVE_KEY: 'k2',
    });
    expect(new FieldCipher(patientData).keyIds()).toEqual(['k1', 'k2']);
    expect(patientData.activeKeyId).toBe('k2');
  });

  it('refuses to start without a key, naming the variable', () => {
    expect(problems({})).toContain('PATIENT_DATA_KEYS: is required but not set');
  });

  it.each([
    ['not JSON', { PATIENT_DATA_KEYS: `{${k1}` }, 'PATIENT_DATA_KEYS: is not valid JSON'],
    ['no key', { PATIENT_DATA_KEYS: '{}' }, 'must hold at least one key'],
    [
      'a short key',
      { PATIENT_DATA_KEYS: JSON.stringify({ k1: k1.slice(0, 20) }) },
      'item k1 is not the base64 of 32 bytes',
    ],
    ['a bad key id', { PATIENT_DATA_KEYS: JSON.stringify({ 'k.1': k1 }) }, 'a key id is'],
    [
      'several keys, none active',
      { PATIENT_DATA_KEYS: JSON.stringify({ k1, k2 }) },
      'PATIENT_DATA_ACTIVE_KEY: is required',
    ],
    [
      'an active key not listed',
      { PATIENT_DATA_KEYS: JSON.stringify({ k1 }), PATIENT_DATA_ACTIVE_KEY: 'k2' },
      'names no key',
    ],
  ])('refuses %s without quoting a key', (_what, env, expected) => {
    const message = problems(env);
    expect(message).toContain(expected);
    expect(message).not.toContain(k1.slice(0, 12));
    expect(message).not.toContain(k2.slice(0, 12));
  });
});

describe('tools/patient-data-key.mjs', () => {
  it('prints a new key entry that the config accepts and the cipher uses', async () => {
    const [a, b] = await Promise.all([
      run(process.execPath, [keyScript]),
      run(process.execPath, [keyScript]),
    ]);
    const first = JSON.parse(a.stdout) as Record<string, string>;
    const second = JSON.parse(b.stdout) as Record<string, string>;
    const [id] = Object.keys(first);
    expect(id).toMatch(/^pd-\d{8}-[0-9a-f]{6}$/);
    expect(Buffer.from(first[id!]!, 'base64')).toHaveLength(32);
    expect(Object.values(second)[0]).not.toBe(first[id!]);
    const { patientData } = loadConfig(configSchema({ patientData: patientDataCryptoConfig() }), {
      PATIENT_DATA_KEYS: a.stdout.trim(),
    });
    const cipher = new FieldCipher(patientData);
    expect(cipher.decrypt(cipher.encrypt(PATIENT))).toBe(PATIENT);
  });

  it('takes a chosen key id, and refuses a bad one', async () => {
    const { stdout } = await run(process.execPath, [keyScript, '--id', 'pd-2026-q4']);
    expect(Object.keys(JSON.parse(stdout) as object)).toEqual(['pd-2026-q4']);
    await expect(run(process.execPath, [keyScript, '--id', 'no.dots'])).rejects.toMatchObject({ code: 64 });
    await expect(run(process.execPath, [keyScript, '--bogus'])).rejects.toMatchObject({ code: 64 });
  });
});
