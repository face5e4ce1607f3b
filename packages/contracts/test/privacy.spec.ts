import { z } from 'zod';
import { findPatientDataKeys, isPatientDataKey, PharmacyEvents } from '../src/index.js';

describe('no patient data on pharmacy.* topics', () => {
  it.each(Object.values(PharmacyEvents).map((c) => [c.type, c] as const))(
    '%s declares no patient-data field',
    (_type, c) => {
      const schema = z.toJSONSchema(c.event, { io: 'input' });
      expect(findPatientDataKeys(schema)).toEqual([]);
    },
  );

  describe('the check itself', () => {
    it.each([
      'first_name',
      'lastName',
      'email',
      'patientEmail',
      'date_of_birth',
      'street',
      'zip_code',
      'delivery_address',
      'patient_data',
      'billing_address',
    ])('flags %s', (key) => expect(isPatientDataKey(key)).toBe(true));

    it.each(['pharmacy_uid', 'pzn', 'tracking_number', 'name', 'reason', 'carrier'])('lets %s pass', (key) =>
      expect(isPatientDataKey(key)).toBe(false),
    );

    it('finds a forbidden field nested in arrays and objects, and only in property names', () => {
      const schema = z.toJSONSchema(
        z.object({
          lines: z.array(z.object({ patient: z.object({ first_name: z.string() }) })),
          note: z.string().describe('never the delivery address'),
        }),
      );
      expect(findPatientDataKeys(schema)).toEqual([
        'properties.lines.items.properties.patient',
        'properties.lines.items.properties.patient.properties.first_name',
      ]);
    });
  });
});
