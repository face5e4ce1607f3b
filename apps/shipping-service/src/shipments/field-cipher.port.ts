/**
 * Column-level encryption of patient data (DESIGN.md §7). The shape of service-kit's FieldCipher, declared
 * here so this service compiles on its own while the kit's is being written; the integrator binds the kit's
 * implementation to FIELD_CIPHER. `aad` binds an envelope to its row, so it cannot be moved to another.
 */
export interface FieldCipher {
  encrypt(plaintext: string, aad?: string): string;
  decrypt(envelope: string, aad?: string): string;
}

/** Nest injection token for the service's FieldCipher. */
export const FIELD_CIPHER = Symbol('rxbridge.shipping.field-cipher');
