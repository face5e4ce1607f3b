import { z } from 'zod';

/**
 * Behaviour the docs leave open (API.md §11.6), switchable at run time so RxBridge can be tested both ways.
 * - echoStatusChanges: a pharmacy's own `PATCH …/status` raises `pharmacy_order_updated` (docs: "assume they may").
 * - echoApiStockChanges: a pharmacy's own SKU PATCH (and complete_order's stock reduction) raises
 *   `pharmacy_sku_stock_updated` (docs: the event is for changes "outside your system").
 */
export const SandboxSettings = z.object({
  echoStatusChanges: z.boolean().default(true),
  echoApiStockChanges: z.boolean().default(false),
});
export type SandboxSettings = z.infer<typeof SandboxSettings>;
export const SandboxSettingsPatch = SandboxSettings.partial().strict();
