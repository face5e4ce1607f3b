import { ConfigError, documentedEnv, loadConfig } from '@rxbridge/service-kit';
import {
  DEFAULT_CARRIERS,
  orderServiceLinkConfig,
  ShippingServiceConfig,
  shippingConfig,
} from './shipping-service-config.js';

// the one variable without a default: the key the delivery addresses are encrypted with
const KEYS = {
  PATIENT_DATA_KEYS: JSON.stringify({ k1: Buffer.alloc(32, 7).toString('base64') }),
  ORDER_SERVICE_TOKEN: 'rxb_test-token-for-order-service',
};

describe('ShippingServiceConfig', () => {
  it("runs on the local stack's defaults", () => {
    const config = loadConfig(ShippingServiceConfig, KEYS);
    expect(config.shipping).toEqual({
      carriers: DEFAULT_CARRIERS,
      pickupDeliveryTypes: ['pickup'],
      addressRetentionDays: 30,
      addressMaxOpenDays: 60,
      retentionIntervalMs: 3_600_000,
    });
    expect(config.consumerGroup).toBe('shipping-service');
    expect(config.orderService).toEqual({
      baseUrl: 'http://127.0.0.1:3001',
      token: 'rxb_test-token-for-order-service',
      timeoutMs: 5000,
    });
    expect(config.http.port).toBe(3003);
    expect(config.kafka.clientId).toBe('shipping-service');
    expect(config.orderService.baseUrl).toBe('http://127.0.0.1:3001');
  });

  it('reads the carriers, pickup delivery types and retention', () => {
    const config = loadConfig(ShippingServiceConfig, {
      ...KEYS,
      SHIPPING_CARRIERS: 'DHL, Kurier Nord ,GLS',
      SHIPPING_PICKUP_DELIVERY_TYPES: 'Pickup,click-and-collect',
      SHIPPING_ADDRESS_RETENTION_DAYS: '90',
      SHIPPING_ADDRESS_MAX_OPEN_DAYS: '120',
      ORDER_SERVICE_URL: 'http://order-service:3001/',
    });
    expect(config.shipping).toMatchObject({
      carriers: ['DHL', 'Kurier Nord', 'GLS'],
      pickupDeliveryTypes: ['pickup', 'click-and-collect'],
      addressRetentionDays: 90,
      addressMaxOpenDays: 120,
    });
    expect(config.orderService.baseUrl).toBe('http://order-service:3001');
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig(ShippingServiceConfig, {
        SHIPPING_CARRIERS: ' , ',
        SHIPPING_ADDRESS_RETENTION_DAYS: '0',
        ORDER_SERVICE_URL: 'order-service',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('SHIPPING_CARRIERS');
    expect(message).toContain('SHIPPING_ADDRESS_RETENTION_DAYS');
    expect(message).toContain('ORDER_SERVICE_URL');
    expect(message).toContain('PATIENT_DATA_KEYS');
    expect(message).toContain('ORDER_SERVICE_TOKEN');
  });

  it('never quotes the order-service token', () => {
    let message = '';
    try {
      loadConfig(ShippingServiceConfig, { ...KEYS, ORDER_SERVICE_TOKEN: 'rxb_secret with space' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('ORDER_SERVICE_TOKEN');
    expect(message).not.toContain('rxb_secret');
  });

  it('documents every variable of its own sections', () => {
    const names = [shippingConfig(), orderServiceLinkConfig()]
      .flatMap((s) => documentedEnv(s))
      .map((v) => v.name);
    expect(names).toEqual([
      'SHIPPING_CARRIERS',
      'SHIPPING_PICKUP_DELIVERY_TYPES',
      'SHIPPING_ADDRESS_RETENTION_DAYS',
      'SHIPPING_ADDRESS_MAX_OPEN_DAYS',
      'SHIPPING_RETENTION_INTERVAL_SECONDS',
      'ORDER_SERVICE_URL',
      'ORDER_SERVICE_TOKEN',
      'ORDER_SERVICE_TIMEOUT_MS',
    ]);
  });
});
