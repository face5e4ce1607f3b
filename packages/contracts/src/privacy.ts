/**
 * Keys that mean patient data (DESIGN.md §7). No event on a `pharmacy.*` topic may declare them; the logger
 * in service-kit redacts the same names. Matching is on the key name, case-insensitively, so a schema field
 * called `patientEmail` or `billing_address` is caught as well.
 */
export const PATIENT_DATA_KEYS = [
  'first_name',
  'last_name',
  'full_name',
  'display_name',
  'email',
  'phone',
  'date_of_birth',
  'birth_date',
  'dob',
  'street',
  'house_number',
  'zip_code',
  'postal_code',
  'city',
  'additional_address',
  'delivery_address',
  'invoice_address',
  'patient_data',
  'doctor_data',
  'prescription_file',
  'insurance_number',
] as const;

/** Fragments that make any key suspicious, whatever surrounds them. */
const PATIENT_DATA_FRAGMENTS = [
  'patient',
  'address',
  'birth',
  'email',
  'mail',
  'phone',
  'prescription',
  'doctor',
  'insurance',
];

function normalise(key: string): string {
  return key.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

export function isPatientDataKey(key: string): boolean {
  const k = normalise(key);
  return (
    (PATIENT_DATA_KEYS as readonly string[]).includes(k) || PATIENT_DATA_FRAGMENTS.some((f) => k.includes(f))
  );
}

/**
 * Walks a JSON Schema (or any JSON value) and returns the paths of property names that look like patient
 * data. In a JSON Schema, property names are the keys of every `properties` object.
 */
export function findPatientDataKeys(value: unknown, path: string[] = []): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => findPatientDataKeys(v, [...path, String(i)]));
  if (value === null || typeof value !== 'object') return [];
  const found: string[] = [];
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const inProperties = path[path.length - 1] === 'properties';
    const isSchemaKeyword = !inProperties && JSON_SCHEMA_KEYWORDS.has(key);
    if (!isSchemaKeyword && isPatientDataKey(key)) found.push([...path, key].join('.'));
    found.push(...findPatientDataKeys(child, [...path, key]));
  }
  return found;
}

// Keywords of JSON Schema itself; `description` texts may mention "address" without being a field.
const JSON_SCHEMA_KEYWORDS = new Set([
  '$schema',
  '$id',
  '$ref',
  '$defs',
  'type',
  'properties',
  'required',
  'items',
  'description',
  'title',
  'enum',
  'const',
  'format',
  'pattern',
  'anyOf',
  'oneOf',
  'allOf',
  'additionalProperties',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'contentEncoding',
  'contentMediaType',
  'contentSchema',
  'examples',
  'default',
]);
