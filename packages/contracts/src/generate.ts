// Writes docs/events/ (JSON Schema per event type, AsyncAPI 3.0) from the zod schemas. Run through the
// package script `generate`; the committed output is checked by test/generated-docs.spec.ts.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderEventDocs } from './event-docs.js';

const docsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'events');
const files = renderEventDocs();

await mkdir(join(docsDir, 'schemas'), { recursive: true });
const wanted = new Set(files.map((f) => f.path));
for (const name of await readdir(join(docsDir, 'schemas'))) {
  if (!wanted.has(`schemas/${name}`)) await rm(join(docsDir, 'schemas', name));
}
for (const file of files) await writeFile(join(docsDir, file.path), file.content);
console.log(`wrote ${files.length} files to ${docsDir}`);
