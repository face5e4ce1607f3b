import { ConfigError } from '@rxbridge/service-kit';
import { loadOrderServiceConfig } from './order-service-config.js';

const MINIMAL = {
  RXSCALE_BASE_URL: 'http://127.0.0.1:4010/v1/external-pharmacy-api-v1',
  RXSCALE_API_KEY: 'test-key',
  RXSCALE_PHARMACY_UID: 'ph-1',
  PATIENT_DATA_KEYS: JSON.stringify({ k1: Buffer.alloc(32, 7).toString('base64') }),
};

describe(loadOrderServiceConfig.name, () => {
  it('applies the documented defaults of the consumer and the command relay', () => {
    const c = loadOrderServiceConfig(MINIMAL);
    expect(c.orders).toMatchObject({ partitionsConcurrency: 6, commandConcurrency: 8, commandBatchSize: 8 });
  });

  it('takes the concurrency settings from the environment', () => {
    const c = loadOrderServiceConfig({
      ...MINIMAL,
      ORDERS_PARTITIONS_CONCURRENCY: '2',
      ORDERS_COMMAND_CONCURRENCY: '3',
      ORDERS_COMMAND_BATCH_SIZE: '1',
    });
    expect(c.orders).toMatchObject({ partitionsConcurrency: 2, commandConcurrency: 3, commandBatchSize: 1 });
  });

  it('refuses a bad value, naming every wrong variable', () => {
    let error: unknown;
    try {
      loadOrderServiceConfig({
        ...MINIMAL,
        ORDERS_PARTITIONS_CONCURRENCY: '0',
        ORDERS_COMMAND_BATCH_SIZE: 'many',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('ORDERS_PARTITIONS_CONCURRENCY');
    expect((error as Error).message).toContain('ORDERS_COMMAND_BATCH_SIZE');
  });
});
