import { type RxscaleSourcesConfig, type ServiceLogger } from '@rxbridge/service-kit';

/** What the module's providers need from the app's configuration. */
export interface InventorySettings {
  logger: ServiceLogger;
  rxscale: RxscaleSourcesConfig;
  upload: { maxBytes: number; maxLines: number };
  skuSyncIntervalSeconds: number;
  reconcileIntervalSeconds: number;
  pushCoalesceMs: number;
  pushMaxDelayMs: number;
  /** false: the schedules do not run on their own (the operations routes still run them). */
  startJobs: boolean;
}

export const INVENTORY_SETTINGS = Symbol('inventory.settings');
