// People who do not exist, for fixtures that need patient data. Every value is unmistakably invented:
// names no one carries, streets in towns that do not exist, postcodes no German town has (00xxx), e-mail
// under the reserved .invalid domain (RFC 2606) and birth dates on the first of January 1900/1901. A test
// that checks a log line or error message for leaked patient data greps for INVENTED_PERSON_MARKERS.

export interface InventedPerson {
  firstName: string;
  lastName: string;
  displayName: string;
  email: string;
  dateOfBirth: string;
  phone: string;
  address: {
    street: string;
    houseNumber: string;
    zipCode: string;
    city: string;
    country: string;
  };
}

export const INVENTED_PATIENT: InventedPerson = {
  firstName: 'Testine',
  lastName: 'Erfundenhausen',
  displayName: 'Testine Erfundenhausen',
  email: 'testine.erfundenhausen@patient.example.invalid',
  dateOfBirth: '1900-01-01',
  phone: '+49 000 0000001',
  address: {
    street: 'Platzhaltergasse',
    houseNumber: '0',
    zipCode: '00001',
    city: 'Nirgendheim',
    country: 'Germany',
  },
};

export const SECOND_INVENTED_PATIENT: InventedPerson = {
  firstName: 'Fiktivus',
  lastName: 'Ausgedachtmann',
  displayName: 'Fiktivus Ausgedachtmann',
  email: 'fiktivus.ausgedachtmann@patient.example.invalid',
  dateOfBirth: '1901-01-01',
  phone: '+49 000 0000002',
  address: {
    street: 'Erfundener Weg',
    houseNumber: '00',
    zipCode: '00002',
    city: 'Scheinstadt',
    country: 'Germany',
  },
};

export const INVENTED_PATIENTS: readonly InventedPerson[] = [INVENTED_PATIENT, SECOND_INVENTED_PATIENT];

/** Strings that belong to an invented person only: finding one in a log line means patient data leaked. */
export const INVENTED_PERSON_MARKERS: readonly string[] = INVENTED_PATIENTS.flatMap((p) => [
  p.firstName,
  p.lastName,
  p.email,
  p.dateOfBirth,
  p.phone,
  p.address.street,
  p.address.city,
]);

/** The person as RxScale writes a delivery or invoice address (API.md: snake_case address objects). */
export function rxscaleAddress(person: InventedPerson = INVENTED_PATIENT): {
  first_name: string;
  last_name: string;
  street: string;
  house_number: string;
  zip_code: string;
  city: string;
  country: string;
  additional_address: null;
} {
  return {
    first_name: person.firstName,
    last_name: person.lastName,
    street: person.address.street,
    house_number: person.address.houseNumber,
    zip_code: person.address.zipCode,
    city: person.address.city,
    country: person.address.country,
    additional_address: null,
  };
}

/** The person as RxScale writes patient_data on an order (API.md). */
export function rxscalePatientData(person: InventedPerson = INVENTED_PATIENT): {
  display_name: string;
  email: string;
  date_of_birth: string;
} {
  return { display_name: person.displayName, email: person.email, date_of_birth: person.dateOfBirth };
}
