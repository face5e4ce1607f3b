import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { PermanentError, TransientError, classifyFailure } from '@rxbridge/service-kit';
import {
  DeliveryAddressLookupError,
  OrderServiceAddressSource,
} from '../src/orders/order-service-address.source.js';
import { INVENTED_ADDRESS } from './support/shipping-test-kit.js';

const TOKEN = 'rxb_shipping-to-order-service-test-token';

/**
 * Stands in for order-service's documented route `GET /orders/{uid}/delivery-address` (orders:delivery-address):
 * `{address}`, 404 order_not_found, 410 patient_data_purged. Each order uid picks the answer.
 */
function orderServiceStandIn(): { server: Server; requests: { url: string; auth: string | undefined }[] } {
  const requests: { url: string; auth: string | undefined }[] = [];
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push({ url: req.url ?? '', auth: req.headers.authorization });
    const match = /^\/orders\/([^/]+)\/delivery-address$/.exec(req.url ?? '');
    if (req.method !== 'GET' || !match) return json(res, 404, { error: { code: 'not_found' } });
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return json(res, 401, { error: { code: 'unauthorized' } });
    const uid = decodeURIComponent(match[1]!);
    switch (uid) {
      case 'po-known':
        return json(res, 200, { address: INVENTED_ADDRESS });
      case 'po-no-address':
        return json(res, 200, { address: null });
      case 'po-unknown':
        return json(res, 404, { error: { code: 'order_not_found', message: 'no such order' } });
      case 'po-purged':
        return json(res, 410, { error: { code: 'patient_data_purged', message: 'purged' } });
      case 'po-broken':
        return json(res, 503, { error: { code: 'internal', message: 'later' } });
      case 'po-garbled':
        return json(res, 200, { address: 'Musterweg 17b' });
      case 'po-slow':
        setTimeout(() => json(res, 200, { address: INVENTED_ADDRESS }), 2_000).unref();
        return;
      default:
        return json(res, 404, { error: { code: 'order_not_found' } });
    }
  });
  return { server, requests };
}

describe(OrderServiceAddressSource.name, () => {
  const { server, requests } = orderServiceStandIn();
  let baseUrl = '';
  const source = (overrides: { token?: string; timeoutMs?: number; baseUrl?: string } = {}) =>
    new OrderServiceAddressSource({ baseUrl, token: TOKEN, timeoutMs: 500, ...overrides });
  const of = (uid: string) => ({ pharmacyUid: 'ph-test', pharmacyOrderUid: uid });
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (e: unknown) => e as Error,
    );

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reads the address with the bearer token from the documented route', async () => {
    requests.length = 0;
    expect(await source().deliveryAddressOf(of('po-known'))).toEqual(INVENTED_ADDRESS);
    expect(requests).toEqual([{ url: '/orders/po-known/delivery-address', auth: `Bearer ${TOKEN}` }]);
  });

  it('escapes the uid in the path', async () => {
    requests.length = 0;
    await failure(source().deliveryAddressOf(of('po/../x?y')));
    expect(requests[0]!.url).toBe('/orders/po%2F..%2Fx%3Fy/delivery-address');
  });

  it('answers null for an order without an address and for one whose patient data was purged (410)', async () => {
    expect(await source().deliveryAddressOf(of('po-no-address'))).toBeNull();
    expect(await source().deliveryAddressOf(of('po-purged'))).toBeNull();
  });

  it('refuses an order order-service does not know as permanent (a dead letter for a person)', async () => {
    const error = await failure(source().deliveryAddressOf(of('po-unknown')));
    expect(error).toBeInstanceOf(DeliveryAddressLookupError);
    expect(error).toMatchObject({ code: 'order_unknown_to_order_service' });
    expect(classifyFailure(error)).toBe('permanent');
  });

  it('treats 5xx, a refused token, a timeout and an unreachable service as transient', async () => {
    const cases = await Promise.all([
      failure(source().deliveryAddressOf(of('po-broken'))),
      failure(source({ token: 'rxb_wrong' }).deliveryAddressOf(of('po-known'))),
      failure(source({ timeoutMs: 150 }).deliveryAddressOf(of('po-slow'))),
      // a port nothing listens on
      failure(source({ baseUrl: 'http://127.0.0.1:1' }).deliveryAddressOf(of('po-known'))),
    ]);
    expect(cases.map((e) => (e as TransientError).code)).toEqual([
      'order_service_refused',
      'order_service_refused',
      'order_service_timeout',
      'order_service_unreachable',
    ]);
    for (const error of cases) {
      expect(error).toBeInstanceOf(TransientError);
      expect(classifyFailure(error)).toBe('transient');
    }
  });

  it('refuses an answer of another shape as permanent, quoting nothing of it', async () => {
    const error = await failure(source().deliveryAddressOf(of('po-garbled')));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: 'order_service_answer_invalid' });
    expect(JSON.stringify({ message: error!.message, cause: String(error!.cause) })).not.toMatch(
      /Musterweg|17b/,
    );
  });
});
