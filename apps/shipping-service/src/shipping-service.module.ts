import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { CLOCK, type Clock, type ServiceLogger } from '@rxbridge/service-kit';
import { type DataSource } from 'typeorm';
import { SHIPPING_CONFIG, type ShippingConfig } from './config/shipping-service-config.js';
import { OperationsController } from './http/operations.controller.js';
import { ShipmentsController } from './http/shipments.controller.js';
import { SHIPPING_DATA_SOURCE, SHIPPING_METRICS } from './http/tokens.js';
import { AddressRetentionJob, SHIPPING_LOGGER } from './jobs/address-retention.job.js';
import { PharmacyOrdersHandler } from './kafka/pharmacy-orders.handler.js';
import { type ShippingMetrics } from './metrics/shipping-metrics.js';
import { DELIVERY_ADDRESS_SOURCE, type DeliveryAddressSource } from './shipments/delivery-address.js';
import { FIELD_CIPHER, type FieldCipher } from './shipments/field-cipher.port.js';
import { SHIPPING_PROVIDERS } from './shipments/shipping-providers.js';

export interface ShippingServiceModuleOptions {
  shipping: ShippingConfig;
  dataSource: DataSource;
  cipher: FieldCipher;
  addressSource: DeliveryAddressSource;
  clock: Clock;
  metrics: ShippingMetrics;
  logger: ServiceLogger;
  /** Run the schedules (off for the OpenAPI script, which builds the app without connecting). */
  schedules: boolean;
  /** Closed last, after the consumer, the relay and the schedules stopped. */
  onShutdown: () => Promise<void>;
}

const OPTIONS = Symbol('rxbridge.shipping.module-options');

/** Starts the schedule and the scrape-time gauges with the app; stops them, then closes what the app owns. */
@Injectable()
class ShippingLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private removeCollector: (() => void) | undefined;

  constructor(
    @Inject(OPTIONS) private readonly options: ShippingServiceModuleOptions,
    private readonly retention: AddressRetentionJob,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.options.schedules) return;
    this.retention.job.start();
    this.removeCollector = this.options.metrics.collect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.retention.job.stop();
    this.removeCollector?.();
    await this.options.onShutdown();
  }
}

/** shipping-service: the Kafka handler, the desk's REST API, the operator routes, and the phase-1 use cases. */
@Module({})
export class ShippingServiceModule {
  static forRoot(options: ShippingServiceModuleOptions): DynamicModule {
    return {
      module: ShippingServiceModule,
      controllers: [PharmacyOrdersHandler, ShipmentsController, OperationsController],
      providers: [
        ...SHIPPING_PROVIDERS,
        AddressRetentionJob,
        ShippingLifecycle,
        { provide: OPTIONS, useValue: options },
        { provide: SHIPPING_CONFIG, useValue: options.shipping },
        { provide: SHIPPING_DATA_SOURCE, useValue: options.dataSource },
        { provide: SHIPPING_METRICS, useValue: options.metrics },
        { provide: SHIPPING_LOGGER, useValue: options.logger },
        { provide: FIELD_CIPHER, useValue: options.cipher },
        { provide: DELIVERY_ADDRESS_SOURCE, useValue: options.addressSource },
        { provide: CLOCK, useValue: options.clock },
      ],
    };
  }
}
