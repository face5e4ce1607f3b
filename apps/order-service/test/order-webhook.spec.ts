import { describe, expect, it } from '@jest/globals';
import { buildRxScaleEvent, type RxScaleCloudEvent } from '@rxbridge/contracts';
import { INVENTED_PATIENT, INVENTED_PERSON_MARKERS } from '@rxbridge/testing';
import { orderOfWebhook } from '../src/kafka/order-webhook.js';
import { orderWebhookBody } from './support/order-webhook-body.js';

/**
 * The order of a stored order webhook is parsed with the contract, not cast: no broker needed, the stored
 * CloudEvent is built with the gateway's own function. The dead-lettering of such a record is in
 * order-service.spec.ts ("a malformed order webhook").
 */

function stored(body: Buffer): RxScaleCloudEvent {
  const built = buildRxScaleEvent({ rawBody: body, receivedAt: new Date(), source: 'test' });
  if (!built.ok) throw new Error(`the gateway would refuse the fixture: ${built.error.message}`);
  return built.event;
}

function refusal(event: Parameters<typeof orderOfWebhook>[0]): string {
  const read = orderOfWebhook(event);
  if (read.ok) throw new Error('the malformed order was accepted');
  for (const marker of INVENTED_PERSON_MARKERS) expect(read.error).not.toContain(marker);
  return read.error;
}

describe(orderOfWebhook.name, () => {
  it("reads RxScale's documented order, and one without the optional fields", () => {
    const full = orderOfWebhook(stored(orderWebhookBody('po-full')));
    expect(full).toMatchObject({ ok: true, order: { uid: 'po-full', order_items: [{ amount: 2 }] } });
    // API.md §11.6's pharmacy_order_updated example: no delivery type, no patient data, no lines.
    const lean = orderOfWebhook(
      stored(
        orderWebhookBody('po-lean', (d) => {
          for (const key of ['name', 'data', 'external_status', 'created_at', 'deleted_at']) delete d[key];
          Object.assign(d, { delivery_type: null, patient_data: null, order_items: [] });
        }),
      ),
    );
    expect(lean).toMatchObject({ ok: true, order: { uid: 'po-lean', patient_data: null } });
  });

  it('refuses an order with wrong types, naming the paths and not the values', () => {
    const message = refusal(
      stored(
        orderWebhookBody('po-types', (d) => {
          d.status = 42;
          d.pharmacy = INVENTED_PATIENT.lastName;
          (d.order_items as Record<string, unknown>[])[0]!.amount = 'two';
          (d.patient_data as Record<string, unknown>).email = 7;
        }),
      ),
    );
    expect(message).toMatch(/^the webhook's order breaks the contract at: /);
    for (const path of ['status', 'pharmacy', 'order_items.0.amount', 'patient_data.email'])
      expect(message).toContain(`${path} (`);
  });

  it('refuses an order without lines or parent order', () => {
    const message = refusal(
      stored(
        orderWebhookBody('po-parts', (d) => {
          delete d.order_items;
          delete d.order;
        }),
      ),
    );
    expect(message).toContain('order_items (invalid_type)');
    expect(message).toContain('order (invalid_type)');
  });

  it('refuses an order without a uid (a record the gateway would not have stored)', () => {
    const good = stored(orderWebhookBody('po-no-uid'));
    const body = orderWebhookBody('po-no-uid', (d) => delete d.uid);
    const message = refusal({ ...good, data_base64: body.toString('base64') });
    expect(message).toContain('the webhook envelope is invalid');
    expect(message).toContain('uid');
  });
});
