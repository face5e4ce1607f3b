import { z } from 'zod';
import { envVar } from '../config/env-docs.js';
import { envJson } from '../config/env-values.js';
import { FIELD_KEY_BYTES, fieldKey, KEY_ID_PATTERN, type FieldCipherOptions } from './field-cipher.js';

export type PatientDataCryptoConfig = FieldCipherOptions;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * PATIENT_DATA_KEYS (JSON `{ "<keyId>": "<base64 of 32 bytes>" }`, required) and PATIENT_DATA_ACTIVE_KEY (the
 * id new values are encrypted with; may be left out when there is one key). The section outputs the keys as
 * secret KeyObjects, which neither JSON nor inspection reveal; no message quotes a key (loadConfig never quotes
 * a variable named like a secret, and the messages here name key ids only).
 */
export function patientDataCryptoConfig() {
  return z
    .looseObject({
      PATIENT_DATA_KEYS: envVar(
        envJson('is not valid JSON: { "<keyId>": "<base64 of 32 bytes>" }').pipe(
          z.record(z.string(), z.string()).superRefine((keys, ctx) => {
            if (Object.keys(keys).length === 0)
              ctx.addIssue({ code: 'custom', message: 'must hold at least one key' });
            for (const [id, value] of Object.entries(keys)) {
              if (!KEY_ID_PATTERN.test(id)) {
                ctx.addIssue({ code: 'custom', message: 'a key id is 1-32 letters, digits, "_" or "-"' });
                continue;
              }
              if (!BASE64.test(value) || Buffer.from(value, 'base64').length !== FIELD_KEY_BYTES)
                ctx.addIssue({
                  code: 'custom',
                  path: [id],
                  message: `is not the base64 of ${FIELD_KEY_BYTES} bytes (node tools/patient-data-key.mjs makes one)`,
                });
            }
          }),
        ),
        {
          description:
            'Keys for patient data at rest, JSON { "<keyId>": "<base64 of 32 bytes>" }; keep old keys listed until re-encrypted (node tools/patient-data-key.mjs makes one)',
          secret: true,
          example: '{"pd-2026-01":"<base64 of 32 random bytes>"}',
        },
      ),
      PATIENT_DATA_ACTIVE_KEY: envVar(
        z.string().regex(KEY_ID_PATTERN, 'a key id is 1-32 letters, digits, "_" or "-"').optional(),
        {
          description:
            'Id of the key new values are encrypted with (one of PATIENT_DATA_KEYS); may be left out when there is only one key',
          default: '(the only key)',
        },
      ),
    })
    .superRefine(
      (env, ctx) => {
        const keys = env.PATIENT_DATA_KEYS as Record<string, string> | undefined;
        if (typeof keys !== 'object' || keys === null) return;
        const ids = Object.keys(keys);
        if (env.PATIENT_DATA_ACTIVE_KEY === undefined) {
          if (ids.length > 1)
            ctx.addIssue({
              code: 'custom',
              path: ['PATIENT_DATA_ACTIVE_KEY'],
              message: 'is required when PATIENT_DATA_KEYS holds more than one key',
            });
        } else if (!ids.includes(env.PATIENT_DATA_ACTIVE_KEY)) {
          ctx.addIssue({
            code: 'custom',
            path: ['PATIENT_DATA_ACTIVE_KEY'],
            message: 'names no key of PATIENT_DATA_KEYS',
          });
        }
      },
      { when: () => true },
    )
    .transform((env): PatientDataCryptoConfig => ({
      keys: new Map(
        Object.entries(env.PATIENT_DATA_KEYS).map(([id, value]) => [
          id,
          fieldKey(Buffer.from(value, 'base64')),
        ]),
      ),
      activeKeyId: env.PATIENT_DATA_ACTIVE_KEY ?? Object.keys(env.PATIENT_DATA_KEYS)[0]!,
    }));
}
