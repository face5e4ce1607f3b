import { z } from 'zod';

/**
 * Documentation of environment variables, kept on the zod schema that reads them, so `.env.example` and the
 * README are generated from the same place the values are validated (tools/generate-env-example.mjs).
 */
export interface EnvVarDoc {
  /** One sentence: what it sets, in the reader's terms. */
  description: string;
  /** The value used when unset, as it would be written in the environment; absent: required or off. */
  default?: string;
  /** A value to show in `.env.example` for a required variable (never a real secret). */
  example?: string;
  /**
   * The value holds a secret although its name does not say so (e.g. RXSCALE_SOURCES carries API keys):
   * loadConfig never quotes it. Names with KEY, SECRET, TOKEN, PASSWORD... are secret anyway.
   */
  secret?: boolean;
}

export interface DocumentedEnvVar extends EnvVarDoc {
  name: string;
  required: boolean;
}

/** Attaches its documentation to the schema of one variable (`z.globalRegistry`, what `.meta()` writes). */
export function envVar<T extends z.ZodType>(schema: T, doc: EnvVarDoc): T {
  return schema.meta({ ...doc });
}

const sectionsOf = new WeakMap<z.ZodType, readonly z.ZodType[]>();

/** Records the sections a combined schema is made of (configSchema does this), so they can be documented. */
export function registerSections(schema: z.ZodType, sections: readonly z.ZodType[]): void {
  sectionsOf.set(schema, sections);
}

/**
 * The documented variables of a section or of a schema built with configSchema, in declaration order, each
 * once. A variable without an `envVar` description is an error: everything a service reads is documented.
 */
export function documentedEnv(schema: z.ZodType): DocumentedEnvVar[] {
  const seen = new Map<string, DocumentedEnvVar>();
  for (const variable of walk(schema)) if (!seen.has(variable.name)) seen.set(variable.name, variable);
  return [...seen.values()];
}

function* walk(schema: z.ZodType): Generator<DocumentedEnvVar> {
  const sections = sectionsOf.get(schema);
  if (sections) {
    for (const section of sections) yield* walk(section);
    return;
  }
  const object = objectOf(schema);
  if (!object) throw new TypeError('documentedEnv: not an object section nor a configSchema');
  for (const [name, field] of Object.entries(object.shape) as [string, z.ZodType][]) {
    const meta = z.globalRegistry.get(field) as Partial<EnvVarDoc> | undefined;
    if (!meta?.description) throw new TypeError(`environment variable ${name} has no description (envVar)`);
    yield {
      name,
      description: meta.description,
      ...(meta.secret ? { secret: true } : {}),
      ...(meta.default === undefined ? {} : { default: meta.default }),
      ...(meta.example === undefined ? {} : { example: meta.example }),
      required: !field.safeParse(undefined).success,
    };
  }
}

/** The object under a section's transforms and pipes. */
function objectOf(schema: z.ZodType): z.ZodObject | undefined {
  let current: unknown = schema;
  for (let depth = 0; depth < 10; depth++) {
    if (current instanceof z.ZodObject) return current;
    if (current instanceof z.ZodPipe) current = current.in;
    else return undefined;
  }
  return undefined;
}

/** Variables documented as `secret` in a section or configSchema (undocumented ones are skipped here). */
export function secretEnvNames(schema: z.ZodType): Set<string> {
  const names = new Set<string>();
  const visit = (current: z.ZodType): void => {
    const sections = sectionsOf.get(current);
    if (sections) {
      for (const section of sections) visit(section);
      return;
    }
    const object = objectOf(current);
    if (!object) return;
    for (const [name, field] of Object.entries(object.shape) as [string, z.ZodType][])
      if ((z.globalRegistry.get(field) as Partial<EnvVarDoc> | undefined)?.secret) names.add(name);
  };
  visit(schema);
  return names;
}
