/**
 * What the logger redacts (DESIGN.md §7): patient data, API keys, webhook signatures, tokens and secrets, by
 * key name at any depth up to REDACT_DEPTH (pino's redaction works on paths; wildcards cover one level each).
 */

/** Patient data (RxScale's order payloads, API.md §8.1/§11.6). Whole objects are censored where they hold only it. */
export const PATIENT_DATA_FIELDS = [
  'first_name',
  'last_name',
  'firstName',
  'lastName',
  'full_name',
  'email',
  'phone',
  'date_of_birth',
  'dateOfBirth',
  'birth_date',
  'street',
  'house_number',
  'houseNumber',
  'zip_code',
  'zipCode',
  'postal_code',
  'additional_address',
  'delivery_address',
  'deliveryAddress',
  'invoice_address',
  'invoiceAddress',
  'patient_data',
  'patientData',
  'doctor_data',
  'doctorData',
  'prescription_file',
  'prescriptionFile',
] as const;

/** Credentials and signatures, in the spellings they take as headers, config keys and JSON fields. */
export const SECRET_FIELDS = [
  'x-api-key',
  'X-API-Key',
  'X-Api-Key',
  'apiKey',
  'api_key',
  'x-webhook-signature',
  'X-Webhook-Signature',
  'rxscalesignature',
  'signature',
  'authorization',
  'Authorization',
  'cookie',
  'set-cookie',
  'token',
  'access_token',
  'refresh_token',
  'bearer',
  'password',
  'secret',
  'signing_secret',
  'signingSecret',
  'signing_secrets',
  'client_secret',
] as const;

/**
 * Bodies that may hold any of the above: RxScale's raw webhook body travels base64-encoded in CloudEvents
 * (`data_base64`) and as `rawBody`; a display_name is a patient's name under patient_data (pharmacy and SKU
 * display names stay visible).
 */
export const OPAQUE_SENSITIVE_FIELDS = ['data_base64', 'rawBody', 'raw_body'] as const;

export const REDACT_DEPTH = 6;

function segment(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
}

function join(prefix: string, key: string): string {
  const s = segment(key);
  if (prefix === '') return s;
  return s.startsWith('[') ? `${prefix}${s}` : `${prefix}.${s}`;
}

/** Every path pino must censor: each sensitive key at the top level and under up to REDACT_DEPTH wildcards. */
export function redactionPaths(extraKeys: readonly string[] = []): string[] {
  const keys = [...PATIENT_DATA_FIELDS, ...SECRET_FIELDS, ...OPAQUE_SENSITIVE_FIELDS, ...extraKeys];
  const paths: string[] = [];
  for (let depth = 0; depth <= REDACT_DEPTH; depth++) {
    const prefix = Array.from({ length: depth }, () => '*').join('.');
    for (const key of keys) paths.push(join(prefix, key));
    // patient_data.display_name is the patient's name; other display names are pharmacies and products.
    paths.push(join(join(prefix, 'patient_data'), 'display_name'));
  }
  return [...new Set(paths)];
}

export const REDACTED = '[redacted]';
