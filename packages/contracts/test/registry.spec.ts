import { z } from 'zod';
import {
  allEventContracts,
  ErrorCodes,
  EventContractError,
  isPermanentErrorCode,
  PharmacyEvents,
  RxScaleEvents,
  Topics,
} from '../src/index.js';

describe('event registry', () => {
  it('has at least one event type for every topic of the catalog', () => {
    const covered = new Set(allEventContracts().map((c) => c.topic));
    for (const topic of Object.values(Topics))
      expect([topic.name, covered.has(topic.name)]).toEqual([topic.name, true]);
  });

  it('puts every event type on a catalog topic, under the topic family of its name', () => {
    const names = new Set<string>(Object.values(Topics).map((t) => t.name));
    for (const c of allEventContracts()) {
      expect(names.has(c.topic)).toBe(true);
      expect(c.topic.split('.')[0]).toBe(c.type.split('.')[0]);
    }
  });

  it('names RxBridge types pharmacy.<entity>.<happening> and gives each a description and dataschema', () => {
    for (const [type, c] of Object.entries(PharmacyEvents)) {
      expect(type).toMatch(/^pharmacy\.(order|stock|shipment)\.[a-z-]+$/);
      expect(c.type).toBe(type);
      expect(c.description.length).toBeGreaterThan(10);
      expect(c.dataschema).toBe(`urn:rxbridge:event:${type}:v1`);
    }
    for (const [type, c] of Object.entries(RxScaleEvents)) expect(c.type).toBe(type);
  });

  it('requires the pharmacy uid in every RxBridge event', () => {
    for (const c of Object.values(PharmacyEvents)) {
      const schema = z.toJSONSchema(c.data, { io: 'input' }) as { required?: string[] };
      expect([c.type, schema.required]).toEqual([c.type, expect.arrayContaining(['pharmacy_uid'])]);
    }
  });
});

describe(EventContractError.name, () => {
  it('is classified permanent by the flag the consumer runtime reads, with a code from the one table', () => {
    const error = new EventContractError('invalid_event', 'invalid pharmacy.stock.reserved event');
    expect(error.permanent).toBe(true);
    expect(ErrorCodes[error.code].permanent).toBe(true);
  });
});

describe('ErrorCodes', () => {
  it('spells every code in lower snake case and documents it', () => {
    for (const [code, entry] of Object.entries(ErrorCodes)) {
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(entry.doc.length).toBeGreaterThan(10);
    }
  });

  it('knows whether a code is permanent, and nothing about codes outside the table', () => {
    expect(isPermanentErrorCode('invalid_json')).toBe(true);
    expect(isPermanentErrorCode('unclassified')).toBe(false);
    expect(isPermanentErrorCode('NOT_JSON')).toBeUndefined();
  });
});
