import type { z } from 'zod';
import { documentedEnv, type DocumentedEnvVar } from './env-docs.js';

/** One part of RxBridge in `.env.example`: a config schema (or section) or, for scripts, a list of variables. */
export interface EnvExamplePart {
  title: string;
  /** One line under the title (where the part reads its environment). */
  note?: string;
  schema?: z.ZodType;
  variables?: readonly DocumentedEnvVar[];
  /** Defaults shown instead of the schema's, where they depend on the deployment (e.g. a port per service). */
  defaults?: Readonly<Record<string, string>>;
}

/**
 * `.env.example` from the parts' documented variables: per variable its meaning, whether it is required or
 * secret, and a commented-out line with its default (or an example), so a copy changes nothing until a line is
 * uncommented. Deterministic, so a test can compare it with the committed file.
 */
export function renderEnvExample(parts: readonly EnvExamplePart[], header: readonly string[] = []): string {
  const out: string[] = header.map((line) => `# ${line}`.trimEnd());
  for (const part of parts) {
    const variables = [...(part.variables ?? []), ...(part.schema ? documentedEnv(part.schema) : [])];
    out.push('', `# ${'='.repeat(100)}`, `# ${part.title}`);
    if (part.note) out.push(`# ${part.note}`);
    out.push(`# ${'='.repeat(100)}`);
    for (const v of variables) {
      const fallback = part.defaults?.[v.name] ?? v.default;
      const marks = [v.required ? 'required' : undefined, v.secret ? 'secret' : undefined].filter(
        (m) => m !== undefined,
      );
      out.push('', `# ${v.description}${marks.length > 0 ? ` (${marks.join(', ')})` : ''}`);
      if (fallback !== undefined) out.push(`# default: ${fallback}`);
      out.push(
        `#${v.name}=${v.example ?? (fallback !== undefined && !fallback.startsWith('(') ? fallback : '')}`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}
