#!/usr/bin/env node
// @ts-check
// Makes a new key for patient data at rest (service-kit's FieldCipher, AES-256-GCM) and prints it as a
// PATIENT_DATA_KEYS entry: one line of JSON, `{"<keyId>":"<base64 of 32 random bytes>"}`.
//   node tools/patient-data-key.mjs              key id pd-<yyyymmdd>-<random>
//   node tools/patient-data-key.mjs --id <id>    a chosen key id (1-32 letters, digits, "_" or "-")
// To rotate: add the entry to PATIENT_DATA_KEYS beside the old keys, set PATIENT_DATA_ACTIVE_KEY to its id,
// run the re-encrypt job, and drop an old key only once no value names it.
import { randomBytes } from 'node:crypto';

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

const args = process.argv.slice(2);
let keyId = `pd-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(3).toString('hex')}`;
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--id' && args[i + 1] !== undefined) {
    keyId = String(args[++i]);
  } else {
    process.stderr.write('usage: node tools/patient-data-key.mjs [--id <key id>]\n');
    process.exit(64);
  }
}
if (!KEY_ID.test(keyId)) {
  process.stderr.write('a key id is 1-32 letters, digits, "_" or "-"\n');
  process.exit(64);
}
process.stdout.write(`${JSON.stringify({ [keyId]: randomBytes(32).toString('base64') })}\n`);
if (process.stdout.isTTY)
  process.stderr.write(
    `Add it to PATIENT_DATA_KEYS (a secret) and set PATIENT_DATA_ACTIVE_KEY=${keyId} to encrypt new values with it.\n`,
  );
