import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { documentedEnv, renderEnvExample } from '@rxbridge/service-kit';
import { envExampleHeader, envExampleParts } from '../env-example-parts.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('.env.example', () => {
  it('is what the config schemas say (run `node tools/generate-env-example.mjs` and commit it)', () => {
    const committed = readFileSync(join(root, '.env.example'), 'utf8');
    expect(committed).toBe(renderEnvExample(envExampleParts, envExampleHeader));
  });

  it('lists every variable each part reads, each with a description', () => {
    for (const part of envExampleParts.filter((p) => p.schema)) {
      for (const v of documentedEnv(part.schema))
        expect([v.name, v.description.length > 10]).toEqual([v.name, true]);
    }
    const text = readFileSync(join(root, '.env.example'), 'utf8');
    for (const name of [
      'HTTP_PORT',
      'RXSCALE_SOURCES',
      'PATIENT_DATA_KEYS',
      'GATEWAY_WEBHOOK_SECRETS',
      'SANDBOX_PORT',
      'RXBRIDGE_KAFKA_PORT',
    ])
      expect(text).toContain(`#${name}=`);
    expect(text).not.toContain('GATEWAY_PORT');
  });
});
