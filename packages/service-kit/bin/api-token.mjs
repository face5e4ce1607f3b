#!/usr/bin/env node
// Mints a bearer token for a service's REST API and the HTTP_API_TOKENS entry that admits it.
//   node packages/service-kit/bin/api-token.mjs create --name pms --scopes stock:write,orders:read
//   node packages/service-kit/bin/api-token.mjs scopes
// Self-contained (node:crypto only) so it runs without a build; test/http-edge-tokens.spec.ts checks that the
// kit's verifier accepts what it prints and that its scope list is the kit's.
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

const SCOPES = [
  'orders:read',
  'orders:write',
  'orders:patient-data',
  'orders:prescription',
  'orders:delivery-address',
  'stock:read',
  'stock:write',
  'shipments:read',
  'shipments:write',
  'operator',
];
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const USAGE = 'usage: api-token.mjs create --name <name> --scopes <scope,scope,...> | api-token.mjs scopes';

function fail(message) {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'scopes') {
  process.stdout.write(`${SCOPES.join('\n')}\n`);
} else if (command === 'create') {
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { name: { type: 'string' }, scopes: { type: 'string' } },
    }));
  } catch (error) {
    fail(error.message);
  }
  const name = values.name ?? '';
  if (!NAME.test(name)) fail('--name must be 1-63 lowercase letters, digits, ".", "_" or "-"');
  const scopes = [
    ...new Set(
      (values.scopes ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (scopes.length === 0) fail('--scopes must list at least one scope');
  const unknown = scopes.filter((s) => !SCOPES.includes(s));
  if (unknown.length > 0) fail(`unknown scope(s): ${unknown.join(', ')} (known: ${SCOPES.join(', ')})`);
  // 256 random bits: SHA-256 of it cannot be reversed or guessed, so the config may hold the hash openly.
  const token = `rxb_${randomBytes(32).toString('base64url')}`;
  const hash = `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
  process.stdout.write(
    `token: ${token}\n` +
      `entry: ${JSON.stringify({ name, hash, scopes })}\n` +
      '# The token is shown only now: hand it to the caller. Add the entry to the HTTP_API_TOKENS JSON array (a Secret).\n',
  );
} else {
  fail(command ? `unknown command "${command}"` : 'no command');
}
