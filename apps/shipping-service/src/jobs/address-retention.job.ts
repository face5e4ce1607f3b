import { Inject, Injectable } from '@nestjs/common';
import { IntervalJob, type IntervalJobRun, type ServiceLogger } from '@rxbridge/service-kit';
import { type DataSource } from 'typeorm';
import { SHIPPING_CONFIG, type ShippingConfig } from '../config/shipping-service-config.js';
import { SHIPPING_DATA_SOURCE } from '../http/tokens.js';
import { ShipmentRetentionService } from '../shipments/shipment-retention.service.js';

export const SHIPPING_LOGGER = Symbol('rxbridge.shipping.logger');

/**
 * Deletes delivery addresses SHIPPING_ADDRESS_RETENTION_DAYS after their shipment closed (at the latest
 * SHIPPING_ADDRESS_MAX_OPEN_DAYS after it was expected, while it stays open), every
 * SHIPPING_RETENTION_INTERVAL_SECONDS (first run one minute after start, so a restart loop does not hammer
 * the database). One statement per run: safe from several replicas at once. `POST /operations/retention`
 * runs it now; the module's lifecycle starts and stops the schedule.
 */
@Injectable()
export class AddressRetentionJob {
  readonly job: IntervalJob;

  constructor(
    retention: ShipmentRetentionService,
    @Inject(SHIPPING_DATA_SOURCE) dataSource: DataSource,
    @Inject(SHIPPING_CONFIG) config: Pick<ShippingConfig, 'retentionIntervalMs'>,
    @Inject(SHIPPING_LOGGER) logger: ServiceLogger,
  ) {
    this.job = new IntervalJob({
      name: 'address-retention',
      intervalMs: config.retentionIntervalMs,
      firstRunAfterMs: Math.min(60_000, config.retentionIntervalMs),
      logger,
      run: async () => {
        const result = await dataSource.transaction((m) => retention.purgeDeliveryAddresses(m));
        return {
          purged: result.purged,
          closed_before: result.closedBefore.toISOString(),
          open_before: result.openBefore.toISOString(),
        };
      },
    });
  }

  runNow(): Promise<IntervalJobRun> {
    return this.job.runNow();
  }
}
