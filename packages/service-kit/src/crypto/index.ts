export {
  FieldCipher,
  FieldCipherError,
  fieldAad,
  fieldKey,
  FIELD_ENVELOPE_VERSION,
  FIELD_KEY_BYTES,
  KEY_ID_PATTERN,
  type FieldCipherErrorCode,
  type FieldCipherOptions,
} from './field-cipher.js';
export { patientDataCryptoConfig, type PatientDataCryptoConfig } from './patient-data-crypto-config.js';
export { reencryptColumn, type ReencryptColumnOptions, type ReencryptProgress } from './reencrypt-column.js';
