import { PermanentError, TransientError } from '@rxbridge/service-kit';
import { z } from 'zod';
import { type OrderServiceLinkConfig } from '../config/shipping-service-config.js';
import { DeliveryAddress, type DeliveryAddressSource } from '../shipments/delivery-address.js';

/** order-service's answer to `GET /orders/{uid}/delivery-address` (BRIEF: `{address}`; null when RxScale sent none). */
const DeliveryAddressAnswer = z.object({ address: DeliveryAddress.nullable() });

/**
 * Why an address could not be read. `order_unknown_to_order_service` and `order_service_answer_invalid` are
 * permanent (a dead letter for a person: the two services disagree about the order, or order-service answers
 * something else than its documented route); everything that may pass by itself is a TransientError.
 */
export class DeliveryAddressLookupError extends PermanentError {
  constructor(code: 'order_unknown_to_order_service' | 'order_service_answer_invalid', message: string) {
    super(message, code);
    this.name = 'DeliveryAddressLookupError';
  }
}

/**
 * The DeliveryAddressSource over order-service's REST API: `GET {ORDER_SERVICE_URL}/orders/{uid}/delivery-address`
 * with a bearer token holding `orders:delivery-address`. 200 → the address (or null when the order has
 * none), 410 `patient_data_purged` → null, 404 → permanent (dead letter), 401/403/408/429/5xx, network errors
 * and timeouts → transient, so the plumbing retries and parks the record: it is never acknowledged without
 * the address. Nothing here logs or puts into an error message the answer's body: it is patient data.
 */
export class OrderServiceAddressSource implements DeliveryAddressSource {
  constructor(
    private readonly config: Pick<OrderServiceLinkConfig, 'baseUrl' | 'token' | 'timeoutMs'>,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async deliveryAddressOf(order: {
    pharmacyUid: string;
    pharmacyOrderUid: string;
  }): Promise<DeliveryAddress | null> {
    const url = `${this.config.baseUrl}/orders/${encodeURIComponent(order.pharmacyOrderUid)}/delivery-address`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        headers: { accept: 'application/json', authorization: `Bearer ${this.config.token}` },
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
      throw new TransientError(
        timedOut
          ? `order-service did not answer the delivery-address request within ${this.config.timeoutMs} ms`
          : 'order-service could not be reached for the delivery address',
        timedOut ? 'order_service_timeout' : 'order_service_unreachable',
        // the cause names host and port, never the answer
        { cause: error },
      );
    }
    switch (response.status) {
      case 200:
        return this.parse(response);
      case 410:
        await response.body?.cancel();
        return null;
      case 404:
        await response.body?.cancel();
        throw new DeliveryAddressLookupError(
          'order_unknown_to_order_service',
          'order-service knows no order with this uid, although it published the order',
        );
      default:
        await response.body?.cancel();
        // 401/403 are a configuration fault (ORDER_SERVICE_TOKEN) an operator fixes; 5xx, 429 pass by
        // themselves. Retried either way: the record is parked, never dropped.
        throw new TransientError(
          `order-service answered HTTP ${response.status} to the delivery-address request`,
          'order_service_refused',
        );
    }
  }

  private async parse(response: Response): Promise<DeliveryAddress | null> {
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      // a body cut short by a dropped connection is worth another try
      if (error instanceof SyntaxError) {
        throw new DeliveryAddressLookupError(
          'order_service_answer_invalid',
          'order-service answered the delivery-address request with something other than JSON',
        );
      }
      throw new TransientError('the delivery-address answer was cut short', 'order_service_unreachable', {
        cause: error,
      });
    }
    const parsed = DeliveryAddressAnswer.safeParse(body);
    // zod's issues would quote nothing but paths and expectations; still, name no field of the address
    if (!parsed.success) {
      throw new DeliveryAddressLookupError(
        'order_service_answer_invalid',
        'order-service answered the delivery-address request in an unexpected shape',
      );
    }
    return parsed.data.address;
  }
}
