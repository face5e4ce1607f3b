import { z } from 'zod';
import { DEFAULT_CARRIERS } from '../config/shipping-service-config.js';
import { MarkDeliveredInput, RecordHandOverInput, recordShipmentInputSchema } from './shipment-input.js';

const RecordShipment = recordShipmentInputSchema(DEFAULT_CARRIERS);
const valid = {
  pharmacy_order_uid: 'po-1',
  carrier: 'DHL',
  tracking_number: '00340434161094042557',
  tracking_url:
    'https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode=00340434161094042557',
};

/** The messages of a failed parse, which must never contain the submitted value. */
function messagesOf(body: unknown): string {
  const result = RecordShipment.safeParse(body);
  expect(result.success).toBe(false);
  return result.success ? '' : z.prettifyError(result.error);
}

describe('shipment input', () => {
  describe('recordShipmentInputSchema', () => {
    it('accepts a shipment, upper-cases the tracking number and spells the carrier as configured', () => {
      expect(
        RecordShipment.parse({ ...valid, carrier: ' dhl ', tracking_number: '1z999aa10123456784' }),
      ).toEqual({
        ...valid,
        tracking_number: '1Z999AA10123456784',
      });
    });

    it('takes a missing tracking URL as null', () => {
      const { tracking_url: _omitted, ...rest } = valid;
      expect(RecordShipment.parse(rest).tracking_url).toBeNull();
    });

    it('refuses an unknown carrier, naming the configured ones but not the value', () => {
      const text = messagesOf({ ...valid, carrier: 'Schneckenpost Frieda' });
      expect(text).toContain('carrier must be one of: DHL, DPD');
      expect(text).not.toContain('Schneckenpost');
    });

    it('uses the configured list', () => {
      const own = recordShipmentInputSchema(['Kurier Nord']);
      expect(own.parse({ ...valid, carrier: 'kurier nord' }).carrier).toBe('Kurier Nord');
      expect(own.safeParse(valid).success).toBe(false);
    });

    it.each([
      ['http', 'http://www.dhl.de/track?piececode=00340434161094042557'],
      ['ftp', 'ftp://files.example/00340434161094042557'],
      ['no URL', 'tracking-0034043416'],
      ['no host', 'https://localhost-only/track'],
    ])('refuses a tracking URL that is not https (%s), without echoing it', (_label, url) => {
      const text = messagesOf({ ...valid, tracking_url: url });
      expect(text).toMatch(/tracking_url must be an https URL/);
      expect(text).not.toContain(url);
    });

    it.each([
      ['credentials', 'https://testa:secret@track.example/0034043416'],
      ['an e-mail', 'https://track.example/t?to=testa.beispiel%40example.org'],
      ['a zip parameter', 'https://www.dhl.de/track?piececode=0034043416&zip=99999'],
      ['a name parameter', 'https://track.example/t?id=0034043416&name=Beispielfrau'],
      ['an address parameter', 'https://track.example/t?id=0034043416&delivery_address=Musterweg'],
    ])('refuses a tracking URL with patient data (%s), without echoing it', (_label, url) => {
      const text = messagesOf({ ...valid, tracking_url: url });
      expect(text).toMatch(/must not carry patient data/);
      expect(text).not.toMatch(/testa|99999|Beispielfrau|Musterweg/i);
    });

    it.each([
      ['too short', '12345'],
      ['too long', '1'.repeat(51)],
      ['a space inside', '0034 0434 1610'],
      ['no digit', 'Beispielfrau'],
      ['leading dash', '-0034043416'],
    ])('refuses a tracking number that is %s, without echoing it', (_label, number) => {
      const text = messagesOf({ ...valid, tracking_number: number });
      expect(text).toMatch(/tracking_number must/);
      expect(text).not.toContain(number);
    });

    it('refuses unknown fields (nothing else may ride along, e.g. an address)', () => {
      const text = messagesOf({ ...valid, street: 'Musterweg 1' });
      expect(text).not.toContain('Musterweg');
    });

    it('refuses a missing order uid', () => {
      const { pharmacy_order_uid: _omitted, ...rest } = valid;
      expect(RecordShipment.safeParse(rest).success).toBe(false);
    });
  });

  describe('RecordHandOverInput', () => {
    it('takes the order uid only', () => {
      expect(RecordHandOverInput.parse({ pharmacy_order_uid: 'po-1' })).toEqual({
        pharmacy_order_uid: 'po-1',
      });
      expect(RecordHandOverInput.safeParse({ pharmacy_order_uid: '' }).success).toBe(false);
      expect(
        RecordHandOverInput.safeParse({ pharmacy_order_uid: 'po-1', collected_by: 'Testa' }).success,
      ).toBe(false);
    });
  });

  describe('MarkDeliveredInput', () => {
    it('takes an optional ISO delivery time with offset', () => {
      expect(MarkDeliveredInput.parse({ pharmacy_order_uid: 'po-1' })).toEqual({
        pharmacy_order_uid: 'po-1',
      });
      expect(
        MarkDeliveredInput.parse({ pharmacy_order_uid: 'po-1', delivered_at: '2026-03-02T10:00:00+01:00' })
          .delivered_at,
      ).toBe('2026-03-02T10:00:00+01:00');
      expect(
        MarkDeliveredInput.safeParse({ pharmacy_order_uid: 'po-1', delivered_at: 'yesterday' }).success,
      ).toBe(false);
    });
  });
});
