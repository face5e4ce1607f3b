import {
  INVENTED_PATIENTS,
  INVENTED_PERSON_MARKERS,
  rxscaleAddress,
  rxscalePatientData,
} from '../src/index.js';

describe('invented people', () => {
  it.each(INVENTED_PATIENTS.map((p) => [p.displayName, p]))('%s is unmistakably invented', (_, person) => {
    expect(person.email).toMatch(/\.invalid$/);
    expect(Number(person.dateOfBirth.slice(0, 4))).toBeLessThanOrEqual(1901);
    expect(person.address.zipCode).toMatch(/^00/);
    expect(person.phone).toMatch(/^\+49 000 /);
  });

  it('lists every name, e-mail, birth date and street as a marker to grep logs for', () => {
    for (const p of INVENTED_PATIENTS) {
      expect(INVENTED_PERSON_MARKERS).toEqual(
        expect.arrayContaining([p.firstName, p.lastName, p.email, p.dateOfBirth, p.address.street]),
      );
    }
  });

  it("writes the person in RxScale's shapes", () => {
    const [first] = INVENTED_PATIENTS;
    expect(rxscaleAddress(first)).toMatchObject({ first_name: first!.firstName, zip_code: '00001' });
    expect(rxscalePatientData(first)).toEqual({
      display_name: first!.displayName,
      email: first!.email,
      date_of_birth: first!.dateOfBirth,
    });
  });
});
