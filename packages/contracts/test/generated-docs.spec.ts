import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATE_COMMAND, renderEventDocs } from '../src/event-docs.js';
import { allEventContracts } from '../src/index.js';

const docsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'events');

describe('docs/events (generated)', () => {
  const files = renderEventDocs();

  it.each(files.map((f) => [f.path, f] as const))('docs/events/%s is up to date', (path, file) => {
    const committed = existsSync(join(docsDir, path)) ? readFileSync(join(docsDir, path), 'utf8') : undefined;
    if (committed !== file.content) {
      throw new Error(
        `docs/events/${path} is ${committed === undefined ? 'missing' : 'stale'}: run \`${GENERATE_COMMAND}\` and commit the result`,
      );
    }
  });

  it('holds no schema of a type that no longer exists', () => {
    const expected = new Set(files.map((f) => f.path));
    const extra = readdirSync(join(docsDir, 'schemas')).filter((name) => !expected.has(`schemas/${name}`));
    expect(extra).toEqual([]);
  });

  it('has one JSON Schema per event type, identified by its dataschema', () => {
    for (const c of allEventContracts()) {
      const file = files.find((f) => f.path === `schemas/${c.type}.json`);
      expect(file && (JSON.parse(file.content) as { $id: string }).$id).toBe(c.dataschema);
    }
  });

  it('is an AsyncAPI 3.0 document whose channels are the catalog topics and whose examples are valid', () => {
    const doc = JSON.parse(files.find((f) => f.path === 'asyncapi.json')!.content) as {
      asyncapi: string;
      channels: Record<string, { address: string; messages: Record<string, unknown> }>;
      components: { messages: Record<string, { examples: { payload: unknown }[] }> };
    };
    expect(doc.asyncapi).toBe('3.0.0');
    const addresses = Object.values(doc.channels).map((c) => c.address);
    expect(addresses.sort()).toEqual([...new Set(allEventContracts().map((c) => c.topic))].sort());
    for (const c of allEventContracts()) {
      const [example] = doc.components.messages[c.type]!.examples;
      expect([c.type, c.event.safeParse(example!.payload).success]).toEqual([c.type, true]);
    }
  });
});
