import { ConsumerGroups } from '@rxbridge/contracts';
import {
  configSchema,
  databaseConfig,
  envInt,
  envList,
  envVar,
  HttpUrl,
  httpEdgeConfig,
  kafkaConfig,
  logConfig,
  patientDataCryptoConfig,
  kafkaConsumerGroupConfig,
} from '@rxbridge/service-kit';
import { z } from 'zod';

export const DEFAULT_CARRIERS = ['DHL', 'DPD', 'GLS', 'Hermes', 'UPS', 'Deutsche Post', 'Go Express'];
/** RxScale does not document delivery_type identifiers (API.md §8.1); "pickup" is our guess, configurable. */
export const DEFAULT_PICKUP_DELIVERY_TYPES = ['pickup'];
export const DEFAULT_ADDRESS_RETENTION_DAYS = 30;
/** A shipment still open this long after it was expected (never packed off, never cancelled) loses its address. */
export const DEFAULT_ADDRESS_MAX_OPEN_DAYS = 60;
export const DEFAULT_RETENTION_INTERVAL_SECONDS = 3600;
export const DEFAULT_ORDER_SERVICE_URL = 'http://127.0.0.1:3001';
export const DEFAULT_ORDER_SERVICE_TIMEOUT_MS = 5000;
/** The catalog's group (packages/contracts ConsumerGroups): provisioning creates its `<group>.dlq`. */
export const DEFAULT_CONSUMER_GROUP = ConsumerGroups.shippingService;

export interface ShippingConfig {
  /** The carriers the desk may record (SHIPPING_CARRIERS). */
  carriers: string[];
  /** delivery_type identifiers that mean the patient collects in person (SHIPPING_PICKUP_DELIVERY_TYPES). */
  pickupDeliveryTypes: string[];
  /** Days a delivery address is kept after its shipment closed (SHIPPING_ADDRESS_RETENTION_DAYS). */
  addressRetentionDays: number;
  /**
   * Days a delivery address is kept at most while its shipment stays open (expected or dispatched), counted
   * from when it was expected (SHIPPING_ADDRESS_MAX_OPEN_DAYS).
   */
  addressMaxOpenDays: number;
  /** Time between two runs of the address retention job (SHIPPING_RETENTION_INTERVAL_SECONDS). */
  retentionIntervalMs: number;
}

const CarrierName = z
  .string()
  .max(100, 'each carrier must be at most 100 characters')
  .regex(/^[\p{L}\p{N} .&-]+$/u, 'each carrier may hold letters, digits, spaces, ".", "&" and "-"');

const DeliveryTypeIdentifier = z.string().max(100, 'each identifier must be at most 100 characters');

/**
 * SHIPPING_CARRIERS, SHIPPING_PICKUP_DELIVERY_TYPES (comma-separated), SHIPPING_ADDRESS_RETENTION_DAYS and
 * SHIPPING_ADDRESS_MAX_OPEN_DAYS (1-3650).
 */
export function shippingConfig() {
  return z
    .looseObject({
      SHIPPING_CARRIERS: envVar(envList(CarrierName, { min: 1 }).optional(), {
        description: 'Carriers the shipping desk may record, comma-separated (compared without case)',
        default: DEFAULT_CARRIERS.join(','),
      }),
      SHIPPING_PICKUP_DELIVERY_TYPES: envVar(envList(DeliveryTypeIdentifier).optional(), {
        description: 'RxScale delivery_type values meaning the patient collects in person, comma-separated',
        default: DEFAULT_PICKUP_DELIVERY_TYPES.join(','),
      }),
      SHIPPING_ADDRESS_RETENTION_DAYS: envVar(
        envInt({ min: 1, max: 3650, default: DEFAULT_ADDRESS_RETENTION_DAYS }),
        {
          description: 'Days a delivery address is kept after its shipment closed',
          default: String(DEFAULT_ADDRESS_RETENTION_DAYS),
        },
      ),
      SHIPPING_ADDRESS_MAX_OPEN_DAYS: envVar(
        envInt({ min: 1, max: 3650, default: DEFAULT_ADDRESS_MAX_OPEN_DAYS }),
        {
          description:
            'Days a delivery address is kept at most while its shipment stays open (expected or dispatched), from when it was expected',
          default: String(DEFAULT_ADDRESS_MAX_OPEN_DAYS),
        },
      ),
      SHIPPING_RETENTION_INTERVAL_SECONDS: envVar(
        envInt({ min: 1, max: 7 * 24 * 3600, default: DEFAULT_RETENTION_INTERVAL_SECONDS }),
        {
          description: 'Seconds between two runs of the delivery-address retention job',
          default: String(DEFAULT_RETENTION_INTERVAL_SECONDS),
        },
      ),
    })
    .transform((env): ShippingConfig => ({
      carriers: env.SHIPPING_CARRIERS ?? DEFAULT_CARRIERS,
      pickupDeliveryTypes: (env.SHIPPING_PICKUP_DELIVERY_TYPES ?? DEFAULT_PICKUP_DELIVERY_TYPES).map((t) =>
        t.toLowerCase(),
      ),
      addressRetentionDays: env.SHIPPING_ADDRESS_RETENTION_DAYS,
      addressMaxOpenDays: env.SHIPPING_ADDRESS_MAX_OPEN_DAYS,
      retentionIntervalMs: env.SHIPPING_RETENTION_INTERVAL_SECONDS * 1000,
    }));
}

export interface OrderServiceLinkConfig {
  /** Where order-service's REST API answers, for the delivery address of an order (ORDER_SERVICE_URL). */
  baseUrl: string;
  /** A bearer token with the scope orders:delivery-address (ORDER_SERVICE_TOKEN, required). */
  token: string;
  /** How long one address request may take before it counts as a transient failure (ORDER_SERVICE_TIMEOUT_MS). */
  timeoutMs: number;
}

/** ORDER_SERVICE_URL, ORDER_SERVICE_TOKEN (a secret), ORDER_SERVICE_TIMEOUT_MS. */
export function orderServiceLinkConfig() {
  return z
    .looseObject({
      ORDER_SERVICE_URL: envVar(HttpUrl.optional(), {
        description: "order-service's REST API, where delivery addresses are read",
        default: DEFAULT_ORDER_SERVICE_URL,
      }),
      // Required: without it every order that ships would wait, parked, for an address it cannot read.
      ORDER_SERVICE_TOKEN: envVar(z.string().regex(/^\S+$/, 'must not contain spaces or line breaks'), {
        description:
          'Bearer token for order-service with the scope orders:delivery-address (mint it with packages/service-kit/bin/api-token.mjs)',
        secret: true,
        example: 'rxb_<the token minted for shipping-service>',
      }),
      ORDER_SERVICE_TIMEOUT_MS: envVar(
        envInt({ min: 100, max: 60_000, default: DEFAULT_ORDER_SERVICE_TIMEOUT_MS }),
        {
          description: 'Milliseconds one delivery-address request to order-service may take',
          default: String(DEFAULT_ORDER_SERVICE_TIMEOUT_MS),
        },
      ),
    })
    .transform((env): OrderServiceLinkConfig => ({
      baseUrl: (env.ORDER_SERVICE_URL ?? DEFAULT_ORDER_SERVICE_URL).replace(/\/+$/, ''),
      token: env.ORDER_SERVICE_TOKEN,
      timeoutMs: env.ORDER_SERVICE_TIMEOUT_MS,
    }));
}

/** shipping-service's whole configuration; makes no RxScale call (docs/design.md), so no rxscale section. */
export const ShippingServiceConfig = configSchema({
  kafka: kafkaConfig('shipping-service'),
  consumerGroup: kafkaConsumerGroupConfig(DEFAULT_CONSUMER_GROUP),
  database: databaseConfig(),
  http: httpEdgeConfig(3003),
  log: logConfig(),
  crypto: patientDataCryptoConfig(),
  shipping: shippingConfig(),
  orderService: orderServiceLinkConfig(),
});
export type ShippingServiceConfig = z.output<typeof ShippingServiceConfig>;

/** Nest injection token for the `shipping` section. */
export const SHIPPING_CONFIG = Symbol('rxbridge.shipping-config');
