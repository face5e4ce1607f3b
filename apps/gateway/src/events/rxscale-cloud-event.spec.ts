import { buildWebhookEvent, cloudEventJson, type BuiltWebhookEvent } from './rxscale-cloud-event.js';

function built(body: string): BuiltWebhookEvent {
  const result = buildWebhookEvent({
    rawBody: Buffer.from(body, 'utf8'),
    source: 'default',
    signature: 'ab'.repeat(32),
    receivedAt: new Date('2026-01-08T10:10:00.250Z'),
  });
  if (!result.ok) throw new Error('fixture is not an envelope');
  return result;
}

describe('cloudEventJson', () => {
  const bodies = {
    plain:
      '{"event_type":"pharmacy_order_created","timestamp":1767867000,"data":{"uid":"po-1","pharmacy":{"uid":"ph-1"}}}',
    // Quotes, backslashes, non-ASCII and the slot's own text inside the body: none may leak into the attributes.
    tricky:
      '{"event_type":"pharmacy_order_created","timestamp":1767867000,"data":{"uid":"po-\\"2\\"","note":"\\"data_base64\\":\\"\\" Grüße ✓ \\\\"}}',
    unknownType: '{"event_type":"something_new","timestamp":1,"data":{"uid":"x-1"}}',
  };

  it.each(Object.entries(bodies))('equals JSON.stringify of the event (%s)', (_name, body) => {
    const { event } = built(body);
    expect(cloudEventJson(event)).toBe(JSON.stringify(event));
  });

  it('carries the body byte for byte and keeps the attribute order', () => {
    const json = cloudEventJson(built(bodies.tricky).event);
    const parsed = JSON.parse(json) as Record<string, string>;
    expect(Buffer.from(parsed.data_base64!, 'base64').toString('utf8')).toBe(bodies.tricky);
    expect(Object.keys(parsed).indexOf('data_base64')).toBe(
      Object.keys(built(bodies.tricky).event).indexOf('data_base64'),
    );
  });
});
