import { Inject, Injectable, Optional } from '@nestjs/common';
import { RxScaleApiError } from '@rxbridge/rxscale-client';
import {
  CLOCK,
  PermanentError,
  type Clock,
  type CommandExecutor,
  type CommandOutcome,
  type RxscaleCommand,
} from '@rxbridge/service-kit';
import { DataSource } from 'typeorm';
import { PharmacySkuRepository } from '../skus/pharmacy-sku.repository.js';
import { InventoryCommandKinds, SkuExternalIdPayload, SkuStockPayload } from './inventory-commands.js';
import { RXSCALE_CLIENTS, type RxscaleClientPort } from './rxscale-client.port.js';

/** What a stock command did: sent a value, or found RxScale already had it. */
export type StockPushOutcome =
  | { pharmacySkuUid: string; result: 'pushed'; stock: number }
  | { pharmacySkuUid: string; result: 'skipped'; reason: 'rxscale-has-it' | 'unmapped' | 'deleted' };

/** Metrics hooks (wired to prom-client by the service module). */
export const INVENTORY_COMMAND_OBSERVER = Symbol('inventory.command-observer');

export interface InventoryCommandObserver {
  stockPush?(outcome: StockPushOutcome): void;
}

// RxScale's answers that mean "this change will never be accepted as it is" (API.md §7.7: 404 for a
// hidden SKU type or a SKU that is gone). Everything else retryable is retried by the relay.
const REFUSING_STATUSES = new Set([400, 404, 409, 422]);

/**
 * One RxScale call per command kind, for service-kit's RxscaleCommandRelay. A stock command pushes the
 * newest available value, read when it runs, not the value it was queued with, and makes no call when
 * RxScale already has it: so queued commands coalesce and a replay after a crash is harmless.
 */
@Injectable()
export class InventoryCommandExecutor {
  constructor(
    private readonly dataSource: DataSource,
    private readonly skus: PharmacySkuRepository,
    @Inject(RXSCALE_CLIENTS) private readonly clients: RxscaleClientPort,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(INVENTORY_COMMAND_OBSERVER) private readonly observer: InventoryCommandObserver = {},
  ) {}

  readonly execute: CommandExecutor = async (command) => {
    switch (command.kind) {
      case InventoryCommandKinds.skuStock:
        return this.pushStock(command);
      case InventoryCommandKinds.skuExternalId:
        return this.writeExternalId(command);
      default:
        return { outcome: 'refused', reason: `unknown command kind for inventory-service` };
    }
  };

  private async pushStock(command: RxscaleCommand): Promise<CommandOutcome> {
    const payload = parsePayload(SkuStockPayload, command);
    const state = await this.skus.readPushState(this.dataSource.manager, payload.pharmacySkuUid);
    const skip = (reason: 'rxscale-has-it' | 'unmapped' | 'deleted'): CommandOutcome => {
      this.observer.stockPush?.({ pharmacySkuUid: payload.pharmacySkuUid, result: 'skipped', reason });
      return { outcome: 'done' };
    };
    if (!state || state.deleted) return skip('deleted');
    if (state.desired === null) return skip('unmapped');
    if (state.desired === state.rxscaleStock) return skip('rxscale-has-it');
    const stock = state.desired;
    try {
      await this.clients
        .clientFor(state.pharmacyUid)
        .updatePharmacySkuStock(payload.pharmacySkuUid, stock, { pharmacyUid: state.pharmacyUid });
    } catch (error) {
      return refusalOr(error);
    }
    await this.skus.recordPushed(this.dataSource.manager, payload.pharmacySkuUid, stock, this.clock.now());
    this.observer.stockPush?.({ pharmacySkuUid: payload.pharmacySkuUid, result: 'pushed', stock });
    return { outcome: 'done' };
  }

  private async writeExternalId(command: RxscaleCommand): Promise<CommandOutcome> {
    const payload = parsePayload(SkuExternalIdPayload, command);
    const sku = await this.skus.find(this.dataSource.manager, payload.pharmacySkuUid);
    if (!sku || sku.deleted) return { outcome: 'done' };
    if (sku.externalId === payload.externalId) return { outcome: 'done' };
    try {
      await this.clients
        .clientFor(sku.pharmacyUid)
        .updatePharmacySkuExternalId(payload.pharmacySkuUid, payload.externalId, {
          pharmacyUid: sku.pharmacyUid,
        });
    } catch (error) {
      return refusalOr(error);
    }
    await this.skus.recordExternalId(this.dataSource.manager, payload.pharmacySkuUid, payload.externalId);
    return { outcome: 'done' };
  }
}

function parsePayload<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
  command: RxscaleCommand,
): T {
  const parsed = schema.safeParse(command.payload);
  if (!parsed.success) throw new PermanentError(`invalid ${command.kind} command payload`, 'command_invalid');
  return parsed.data;
}

function refusalOr(error: unknown): CommandOutcome {
  if (error instanceof RxScaleApiError && !error.retryable && REFUSING_STATUSES.has(error.status))
    return { outcome: 'refused', reason: `RxScale answered HTTP ${error.status} (${error.code})` };
  throw error;
}
