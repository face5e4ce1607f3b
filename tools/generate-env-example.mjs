#!/usr/bin/env node
// @ts-check
// Writes `.env.example` at the repository root from the config schemas (tools/env-example-parts.mjs).
//   node tools/generate-env-example.mjs           write it
//   node tools/generate-env-example.mjs --check   exit 1 when the committed file is stale
// Needs the workspace built (npm run build): it imports the packages' dist.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderEnvExample } from '@rxbridge/service-kit';
import { envExampleHeader, envExampleParts } from './env-example-parts.mjs';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', '.env.example');
const rendered = renderEnvExample(envExampleParts, envExampleHeader);
if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(file, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (committed !== rendered) {
    process.stderr.write('.env.example is stale: run `node tools/generate-env-example.mjs` and commit it\n');
    process.exit(1);
  }
} else {
  writeFileSync(file, rendered);
  process.stdout.write(`wrote ${file}\n`);
}
