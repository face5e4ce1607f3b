import { z } from 'zod';

const Field = (max: number) => z.string().trim().max(max).nullable().optional();

/**
 * Where a parcel goes: the fields of RxScale's delivery_address (API.md §8.1), lenient like RxScale's own
 * (a missing field must not make an order unshippable). Patient data: stored only encrypted, never logged,
 * never on a topic.
 */
export const DeliveryAddress = z.object({
  first_name: Field(200),
  last_name: Field(200),
  street: Field(300),
  house_number: Field(50),
  zip_code: Field(20),
  city: Field(200),
  /** A country name ("Germany"), as RxScale sends it. */
  country: Field(100),
  additional_address: Field(300),
  province: Field(200),
});
export type DeliveryAddress = z.infer<typeof DeliveryAddress>;

/**
 * Where shipping-service gets an order's delivery address: order-service, which holds the order with its
 * patient data (docs/design.md, Shipping service). Called by the Kafka edge before
 * `orderReady` for orders that ship, never for pickup orders. `null` when order-service has none (RxScale
 * sent none, or it was already purged). Throws a retryable error when order-service cannot answer.
 */
export interface DeliveryAddressSource {
  deliveryAddressOf(order: {
    pharmacyUid: string;
    pharmacyOrderUid: string;
  }): Promise<DeliveryAddress | null>;
}

/** Nest injection token for the DeliveryAddressSource. */
export const DELIVERY_ADDRESS_SOURCE = Symbol('rxbridge.shipping.delivery-address-source');
