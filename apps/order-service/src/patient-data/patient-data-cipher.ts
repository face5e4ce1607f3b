import { type Address, type PatientData } from '@rxbridge/rxscale-contract';

/**
 * Column encryption of patient data (DESIGN.md §7). Exactly the shape of service-kit's `FieldCipher`
 * (being built in parallel), so the kit's implementation is injected here unchanged. `aad` binds an
 * envelope to its order and column: a value copied into another row or column does not decrypt.
 */
export interface PatientDataCipher {
  encrypt(plaintext: string, aad?: string): string;
  decrypt(envelope: string, aad?: string): string;
}

export const PATIENT_DATA_CIPHER = Symbol('order-service.patient-data-cipher');

export const PATIENT_DATA_COLUMNS = [
  'patient_name',
  'patient_email',
  'patient_date_of_birth',
  'delivery_address',
] as const;
export type PatientDataColumn = (typeof PATIENT_DATA_COLUMNS)[number];

/** The patient data the pharmacy needs for an order, in clear (only ever in memory). */
export interface OrderPatientData {
  name: string | null;
  email: string | null;
  dateOfBirth: string | null;
  deliveryAddress: Address | null;
}

export type SealedPatientData = Record<PatientDataColumn, string | null>;

/** The aad of one column of one order: `<pharmacy order uid>/<column>`. */
export function patientDataAad(pharmacyOrderUid: string, column: PatientDataColumn): string {
  return `${pharmacyOrderUid}/${column}`;
}

export function patientDataOf(
  patient: PatientData | null | undefined,
  deliveryAddress: Address | null | undefined,
): OrderPatientData {
  return {
    name: nonEmpty(patient?.display_name),
    email: nonEmpty(patient?.email),
    dateOfBirth: nonEmpty(patient?.date_of_birth),
    deliveryAddress: deliveryAddress ?? null,
  };
}

export function sealPatientData(
  cipher: PatientDataCipher,
  pharmacyOrderUid: string,
  data: OrderPatientData,
): SealedPatientData {
  const seal = (column: PatientDataColumn, value: string | null) =>
    value === null ? null : cipher.encrypt(value, patientDataAad(pharmacyOrderUid, column));
  return {
    patient_name: seal('patient_name', data.name),
    patient_email: seal('patient_email', data.email),
    patient_date_of_birth: seal('patient_date_of_birth', data.dateOfBirth),
    delivery_address: seal(
      'delivery_address',
      data.deliveryAddress === null ? null : JSON.stringify(data.deliveryAddress),
    ),
  };
}

export function openPatientData(
  cipher: PatientDataCipher,
  pharmacyOrderUid: string,
  sealed: SealedPatientData,
): OrderPatientData {
  const open = (column: PatientDataColumn) => {
    const envelope = sealed[column];
    return envelope === null ? null : cipher.decrypt(envelope, patientDataAad(pharmacyOrderUid, column));
  };
  const address = open('delivery_address');
  return {
    name: open('patient_name'),
    email: open('patient_email'),
    dateOfBirth: open('patient_date_of_birth'),
    deliveryAddress: address === null ? null : (JSON.parse(address) as Address),
  };
}

function nonEmpty(value: string | null | undefined): string | null {
  return value === undefined || value === null || value.trim() === '' ? null : value;
}
