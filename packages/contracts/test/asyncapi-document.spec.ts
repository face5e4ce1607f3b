import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Parser } from '@asyncapi/parser';
import { allEventContracts, Topics } from '../src/index.js';

const asyncApiPath = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'docs',
  'events',
  'asyncapi.json',
);

describe('docs/events/asyncapi.json read by @asyncapi/parser', () => {
  it('is a valid AsyncAPI document: no error or warning, every catalog topic and event type in it', async () => {
    const { document, diagnostics } = await new Parser().parse(readFileSync(asyncApiPath, 'utf8'));
    const problems = diagnostics
      // Spectral's severities: 0 error, 1 warning, 2 information, 3 hint.
      .filter((d) => Number(d.severity) <= 1)
      .map((d) => `${d.code} at ${d.path.join('.')}: ${d.message}`);
    expect(problems).toEqual([]);
    expect(document).toBeDefined();
    const addresses = document!
      .channels()
      .all()
      .map((c) => c.address());
    expect(addresses.sort()).toEqual(
      Object.values(Topics)
        .map((t) => t.name)
        .sort(),
    );
    const messageNames = document!
      .components()
      .messages()
      .all()
      .map((m) => m.id());
    expect(messageNames.sort()).toEqual(
      allEventContracts()
        .map((c) => c.type)
        .sort(),
    );
  });
});
