import { CloudEventSchema, createCloudEvent, type CloudEvent, type TypedCloudEvent } from '../src/index.js';

// Compile-time checks: this file fails `tsc` (the typecheck script) when TypedCloudEvent loses an envelope
// attribute or stops being assignable to CloudEvent, before any test runs.
type Equals<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

interface Payload {
  order_uid: string;
  amount: number;
}

describe('TypedCloudEvent', () => {
  const event = createCloudEvent<Payload>({
    type: 'test.typed',
    source: '/contracts-test',
    subject: 'order-1',
    data: { order_uid: 'order-1', amount: 3 },
    dataschema: 'urn:rxbridge:event:test.typed:v1',
  });

  it('keeps every envelope attribute typed', () => {
    assertType<Equals<(typeof event)['specversion'], '1.0'>>();
    assertType<Equals<(typeof event)['id'], string>>();
    assertType<Equals<(typeof event)['type'], string>>();
    assertType<Equals<(typeof event)['subject'], string | undefined>>();
    assertType<Equals<(typeof event)['datacontenttype'], 'application/json'>>();
    assertType<Equals<(typeof event)['data'], Payload>>();
    // @ts-expect-error a typed envelope attribute refuses a wrong value
    const wrong: TypedCloudEvent<Payload> = { ...event, specversion: '0.3' };
    expect(wrong.specversion).toBe('0.3');
    const amount: number = event.data.amount;
    expect(amount).toBe(3);
    expect(event.specversion).toBe('1.0');
    expect(event.subject).toBe('order-1');
  });

  it('is assignable to CloudEvent without a cast, and is one at run time', () => {
    const plain: CloudEvent = event;
    expect(CloudEventSchema.parse(plain)).toEqual(event);
  });

  it('still carries extensions, like the loose envelope', () => {
    const extended: TypedCloudEvent<Payload> = { ...event, pharmacyuid: 'pharmacy-1' };
    expect(extended.pharmacyuid).toBe('pharmacy-1');
    expect(CloudEventSchema.parse(extended)).toMatchObject({ pharmacyuid: 'pharmacy-1' });
  });

  it('refuses a missing required attribute at compile time', () => {
    // @ts-expect-error `id` is required
    const missing: TypedCloudEvent<Payload> = {
      specversion: '1.0',
      source: '/contracts-test',
      type: 'test.typed',
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data: { order_uid: 'order-1', amount: 1 },
    };
    expect(CloudEventSchema.safeParse(missing).success).toBe(false);
  });
});
