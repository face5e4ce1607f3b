import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CLOCK, ManualClock } from '@rxbridge/service-kit';
import { SHIPPING_CONFIG } from '../src/config/shipping-service-config.js';
import { FIELD_CIPHER } from '../src/shipments/field-cipher.port.js';
import { OrderFollowerService } from '../src/shipments/order-follower.service.js';
import { ShipmentDeskService } from '../src/shipments/shipment-desk.service.js';
import { ShipmentRetentionService } from '../src/shipments/shipment-retention.service.js';
import { SHIPPING_PROVIDERS } from '../src/shipments/shipping-providers.js';
import {
  createShippingTestDatabase,
  newOrderUid,
  orderReceived,
  TestFieldCipher,
  testShippingConfig,
} from './support/shipping-test-kit.js';

const clock = new ManualClock('2026-03-02T09:00:00.000Z');

@Module({
  providers: [
    ...SHIPPING_PROVIDERS,
    { provide: CLOCK, useValue: clock },
    { provide: FIELD_CIPHER, useValue: new TestFieldCipher() },
    { provide: SHIPPING_CONFIG, useValue: testShippingConfig },
  ],
})
class ShippingDomainTestModule {}

describe('SHIPPING_PROVIDERS', () => {
  it('resolve through Nest with only the clock, the cipher and the config bound', async () => {
    const app = await NestFactory.createApplicationContext(ShippingDomainTestModule, { logger: false });
    const db = await createShippingTestDatabase();
    try {
      expect(app.get(ShipmentDeskService)).toBeInstanceOf(ShipmentDeskService);
      expect(app.get(ShipmentRetentionService)).toBeInstanceOf(ShipmentRetentionService);
      // the injected config is the one used: a pickup delivery type becomes a hand-over
      const follower = app.get(OrderFollowerService);
      const result = await db.dataSource.transaction((m) =>
        follower.orderReceived(m, orderReceived(newOrderUid(), 'pickup')),
      );
      expect(result).toEqual({ outcome: 'remembered', fulfilment: 'hand-over' });
      const [row] = await db.dataSource.query<{ received_at: Date }[]>(
        'SELECT received_at FROM shipping_order',
      );
      expect(row!.received_at).toEqual(clock.now());
    } finally {
      await db.close();
      await app.close();
    }
  });
});
