import { ConfigError } from '@rxbridge/service-kit';
import { loadInventoryServiceConfig } from './inventory-service-config.js';

const ONE_KEY = {
  RXSCALE_BASE_URL: 'http://127.0.0.1:4010/v1/external-pharmacy-api-v1',
  RXSCALE_API_KEY: 'test-key',
  RXSCALE_PHARMACY_UID: 'ph-1',
};

describe(loadInventoryServiceConfig.name, () => {
  it('applies the documented defaults', () => {
    const c = loadInventoryServiceConfig(ONE_KEY);
    expect(c.upload).toEqual({ maxBytes: 16 * 1024 * 1024, maxLines: 200_000 });
    expect(c.skuSyncIntervalSeconds).toBe(3600);
    expect(c.database.url).toMatch(/^postgres:\/\//);
    expect(c.http.port).toBe(3002);
    expect(c.kafka.groupId).toBe('inventory-service');
    expect(c.pushCoalesceMs).toBe(1000);
    expect(c.pushMaxDelayMs).toBe(5000);
    expect(c.rxscale.sources).toHaveLength(1);
  });

  it('refuses to start without an RxScale key', () => {
    expect(() => loadInventoryServiceConfig({})).toThrow(ConfigError);
  });

  it('refuses a bad value, naming every wrong variable', () => {
    let error: unknown;
    try {
      loadInventoryServiceConfig({
        ...ONE_KEY,
        INVENTORY_UPLOAD_MAX_BYTES: 'lots',
        INVENTORY_SKU_SYNC_INTERVAL_SECONDS: '5',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('INVENTORY_UPLOAD_MAX_BYTES');
    expect((error as Error).message).toContain('INVENTORY_SKU_SYNC_INTERVAL_SECONDS');
  });
});
