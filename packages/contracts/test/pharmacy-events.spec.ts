import { INVENTED_PATIENT } from '@rxbridge/testing';
import {
  buildEvent,
  EventContractError,
  eventRoute,
  EventSources,
  isEventOfType,
  parseEvent,
  PharmacyEvents,
  Topics,
  type PharmacyEventType,
} from '../src/index.js';
import { ExampleEventData } from '../src/event-examples.js';

const types = Object.keys(PharmacyEvents) as PharmacyEventType[];
const source = EventSources.orderService;

function example<T extends PharmacyEventType>(type: T) {
  return structuredClone(ExampleEventData[type]);
}

/** Builds the example of `type` after `mutate` broke its data, and returns the error message. */
function buildError(
  type: PharmacyEventType,
  mutate: (data: Record<string, unknown>) => void,
): EventContractError {
  const data = example(type) as unknown as Record<string, unknown>;
  mutate(data);
  try {
    buildEvent(type, data as never, { source });
  } catch (error) {
    expect(error).toBeInstanceOf(EventContractError);
    return error as EventContractError;
  }
  throw new Error(`buildEvent accepted invalid ${type} data`);
}

describe('pharmacy.* event schemas', () => {
  describe.each(types)('%s', (type) => {
    it('builds a valid event from the documented example and parses it back from bytes', () => {
      const event = buildEvent(type, example(type), { source });
      expect(event.type).toBe(type);
      expect(event.specversion).toBe('1.0');
      expect(event.pharmacyuid).toBe(ExampleEventData[type].pharmacy_uid);
      expect(event.dataschema).toBe(`urn:rxbridge:event:${type}:v1`);

      const parsed = parseEvent(Buffer.from(JSON.stringify(event)), { topic: PharmacyEvents[type].topic });
      expect(parsed).toEqual({ ok: true, event });
    });

    it('refuses data without the pharmacy uid, naming the field', () => {
      const error = buildError(type, (d) => delete d.pharmacy_uid);
      expect(error.code).toBe('invalid_event');
      expect(error.message).toContain(`invalid ${type} data`);
      expect(error.message).toContain('pharmacy_uid');
    });

    it('refuses a timestamp that is not ISO 8601', () => {
      const timeField = Object.keys(ExampleEventData[type]).find((k) => k.endsWith('_at'));
      expect(timeField).toBeDefined();
      const error = buildError(type, (d) => (d[timeField!] = 'yesterday'));
      expect(error.message).toContain(timeField!);
    });

    it('drops keys the schema does not declare, so no extra field reaches the topic', () => {
      const data = { ...example(type), patient_data: { email: INVENTED_PATIENT.email } };
      const event = buildEvent(type, data as never, { source });
      expect(JSON.stringify(event)).not.toContain(INVENTED_PATIENT.email);
    });

    it('is refused on another topic', () => {
      const event = buildEvent(type, example(type), { source });
      const other = Object.values(Topics).find((t) => t.name !== PharmacyEvents[type].topic)!.name;
      const parsed = parseEvent(event, { topic: other });
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) {
        expect(parsed.error.code).toBe('wrong_topic');
        expect(parsed.error.message).toBe(
          `${type} belongs on ${PharmacyEvents[type].topic}, not on ${other}`,
        );
      }
    });
  });

  describe('rules beyond field types', () => {
    it('refuses an order without lines', () => {
      expect(buildError('pharmacy.order.received', (d) => (d.lines = [])).message).toMatch(/lines/);
    });

    it('refuses a line with a zero quantity', () => {
      const error = buildError(
        'pharmacy.order.received',
        (d) => ((d.lines as { quantity: number }[])[0]!.quantity = 0),
      );
      expect(error.message).toContain('lines[0].quantity');
    });

    it('refuses an unknown order status', () => {
      const error = buildError('pharmacy.order.status-changed', (d) => (d.to = 'shipped'));
      expect(error.message).toContain('unknown pharmacy order status');
      expect(error.message).toContain('at to');
    });

    it('refuses a status change to the same status', () => {
      const error = buildError('pharmacy.order.status-changed', (d) => (d.from = d.to));
      expect(error.message).toContain('from and to must differ');
    });

    it('refuses a stock level whose available is not on hand minus reserved', () => {
      const error = buildError('pharmacy.stock.level-changed', (d) => (d.available = 11));
      expect(error.message).toContain('available must equal max(0, on_hand - reserved)');
    });

    it('accepts an oversold item as 0 available', () => {
      const data = { ...example('pharmacy.stock.level-changed'), on_hand: 1, reserved: 3, available: 0 };
      expect(buildEvent('pharmacy.stock.level-changed', data, { source }).data.available).toBe(0);
    });

    it('refuses a stock line that names no item', () => {
      const error = buildError('pharmacy.stock.reserved', (d) => {
        d.lines = [{ pharmacy_sku_uid: null, external_id: null, pzn: null, quantity: 1 }];
      });
      expect(error.message).toContain('at least one of pharmacy_sku_uid, external_id, pzn');
    });

    it('refuses a missing item that is in fact available', () => {
      const error = buildError('pharmacy.stock.reservation-failed', (d) => {
        d.missing = [{ pharmacy_sku_uid: 'psku-1', pzn: null, requested: 2, available: 2 }];
      });
      expect(error.message).toContain('less available than requested');
    });

    it('refuses a tracking URL that is not http(s)', () => {
      const error = buildError(
        'pharmacy.shipment.dispatched',
        (d) => (d.tracking_url = 'javascript:alert(1)'),
      );
      expect(error.message).toContain('tracking_url');
    });

    it('never quotes the refused value in the error', () => {
      const error = buildError('pharmacy.order.status-changed', (d) => (d.to = 'Jana Vogelsang'));
      expect(error.message).not.toContain('Jana');
    });
  });

  describe('keys', () => {
    it('keys order, reservation and shipment events by the pharmacy order uid', () => {
      for (const type of types.filter((t) => t !== 'pharmacy.stock.level-changed')) {
        const event = buildEvent(type, example(type), { source });
        expect(eventRoute(event)).toEqual({ topic: PharmacyEvents[type].topic, key: 'po-k4t9w2' });
        expect(event.subject).toBe('po-k4t9w2');
      }
    });

    it('keys stock levels by the pharmacy SKU, or by pharmacy and PMS article while unmapped', () => {
      const mapped = buildEvent('pharmacy.stock.level-changed', example('pharmacy.stock.level-changed'), {
        source,
      });
      expect(eventRoute(mapped).key).toBe('psku-m51x');
      const unmapped = buildEvent(
        'pharmacy.stock.level-changed',
        { ...example('pharmacy.stock.level-changed'), pharmacy_sku_uid: null },
        { source },
      );
      expect(eventRoute(unmapped)).toEqual({
        topic: 'pharmacy.inventory.v1',
        key: 'ph-7q2lnd/article:WAWI-448812',
      });
    });
  });

  describe(parseEvent.name, () => {
    const valid = () =>
      buildEvent('pharmacy.order.completed', example('pharmacy.order.completed'), { source });

    it('reports bytes that are not JSON', () => {
      const parsed = parseEvent(Buffer.from('{"specversion": "1.0",'));
      expect(parsed.ok || parsed.error.code).toBe('invalid_json');
    });

    it('reports a value that is not a CloudEvent, naming the missing attributes', () => {
      const parsed = parseEvent({ hello: 'world' });
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) {
        expect(parsed.error.code).toBe('invalid_envelope');
        expect(parsed.error.message).toContain('specversion');
        expect(parsed.error.message).toContain('source');
      }
    });

    it('reports an unknown type', () => {
      const parsed = parseEvent({ ...valid(), type: 'pharmacy.order.teleported' });
      expect(parsed.ok || parsed.error.code).toBe('unknown_type');
      expect(parsed.ok || parsed.error.eventType).toBe('pharmacy.order.teleported');
    });

    it('reports data that breaks the schema, with the path', () => {
      const event = valid();
      const parsed = parseEvent({ ...event, data: { ...event.data, completed_at: 42 } });
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) {
        expect(parsed.error.code).toBe('invalid_event');
        expect(parsed.error.message).toContain('data.completed_at');
        expect(parsed.error.issues.length).toBeGreaterThan(0);
      }
    });

    it('reports a pharmacyuid attribute that disagrees with the data', () => {
      const parsed = parseEvent({ ...valid(), pharmacyuid: 'ph-other' });
      expect(parsed.ok || parsed.error.message).toContain('pharmacyuid must equal data.pharmacy_uid');
    });

    it('gives a consumer typed data once it narrowed the type', () => {
      const parsed = parseEvent(
        JSON.stringify(buildEvent('pharmacy.order.received', example('pharmacy.order.received'), { source })),
      );
      if (!parsed.ok) throw parsed.error;
      const event = parsed.event;
      if (!isEventOfType(event, 'pharmacy.order.received')) throw new Error('type lost');
      // Compiles only because data is typed as OrderReceived.
      const quantities: number[] = event.data.lines.map((l) => l.quantity);
      expect(quantities).toEqual([2]);
    });

    it('keeps unknown CloudEvent attributes and ignores unknown data fields (v1 only gains optional fields)', () => {
      const event = valid();
      const parsed = parseEvent({ ...event, newextension: 'x', data: { ...event.data, added_later: 1 } });
      expect(parsed.ok).toBe(true);
      if (parsed.ok) {
        expect((parsed.event as Record<string, unknown>).newextension).toBe('x');
        const narrowed = isEventOfType(parsed.event, 'pharmacy.order.completed') ? parsed.event : undefined;
        expect(narrowed && 'added_later' in narrowed.data).toBe(false);
      }
    });
  });
});
