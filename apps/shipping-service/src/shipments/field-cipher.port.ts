/**
 * Column-level encryption of patient data (DESIGN.md §7): the part of service-kit's FieldCipher the
 * repository uses. createShippingServiceApp binds the kit's FieldCipher (PATIENT_DATA_KEYS) to
 * FIELD_CIPHER; tests bind one with a test key. `aad` binds an envelope to its row, so it cannot be moved to
 * another.
 */
export interface FieldCipher {
  encrypt(plaintext: string, aad?: string): string;
  decrypt(envelope: string, aad?: string): string;
}

/** Nest injection token for the service's FieldCipher. */
export const FIELD_CIPHER = Symbol('rxbridge.shipping.field-cipher');
