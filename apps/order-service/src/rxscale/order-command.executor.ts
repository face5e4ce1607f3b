import { Inject, Injectable } from '@nestjs/common';
import {
  RxScaleApiError,
  RxScaleConflictError,
  type PharmacyOrderStatus,
  type RxScaleClient,
} from '@rxbridge/rxscale-client';
import {
  PermanentError,
  type CommandExecutor,
  type CommandOutcome,
  type RxscaleCommand,
} from '@rxbridge/service-kit';
import { parseOrderCommand, refusalReason, type CompleteCommandPayload } from './order-commands.js';
import { RXSCALE_CLIENT_SOURCE, type RxScaleClientSource } from './rxscale-client-source.js';

/** Statuses RxScale answers for a change that well-formed input cannot make now (API.md §5). */
const REFUSING_STATUSES = new Set([400, 409, 422]);

/**
 * Runs order-service's RxScale commands for service-kit's command relay: one RxScale call per command kind
 * (a 409 costs one more, to re-read the order). RxScale's answers: 2xx → done; 400/409/422 → refused with a
 * reason naming statuses and machine codes only (never a body: it may echo patient data); a retryable fault
 * (connection, timeout, 429, 5xx) is thrown as it is so the relay retries it; anything else (401, 403, 404)
 * is thrown as permanent and settles as failed.
 */
@Injectable()
export class OrderCommandExecutor {
  constructor(@Inject(RXSCALE_CLIENT_SOURCE) private readonly clients: RxScaleClientSource) {}

  /** The relay's `execute` (an arrow, so it can be handed over without binding). */
  readonly execute: CommandExecutor = async (command) => {
    const parsed = parseOrderCommand(command);
    if (!parsed)
      throw new PermanentError('not an order-service command, or its payload is invalid', 'command_invalid');
    if (!command.pharmacyUid)
      throw new PermanentError('an order command names its pharmacy', 'command_invalid');
    const client = this.clients.clientFor(command.pharmacyUid);
    return parsed.kind === 'order.status'
      ? this.changeStatus(client, command, parsed.payload.status, parsed.payload.comment)
      : this.complete(client, command, parsed.payload);
  };

  private async changeStatus(
    client: RxScaleClient,
    command: RxscaleCommand,
    status: Parameters<RxScaleClient['updatePharmacyOrderStatus']>[1]['status'],
    comment: string | undefined,
  ): Promise<CommandOutcome> {
    const options = { pharmacyUid: command.pharmacyUid! };
    try {
      await client.updatePharmacyOrderStatus(
        command.targetUid,
        { status, ...(status === 'on-hold' && comment ? { comment } : {}) },
        options,
      );
      return { outcome: 'done' };
    } catch (error) {
      return this.refusalOrThrow(client, command, error, status);
    }
  }

  private async complete(
    client: RxScaleClient,
    command: RxscaleCommand,
    shipment: CompleteCommandPayload,
  ): Promise<CommandOutcome> {
    const body = {
      ...(shipment.carrier ? { carrier: shipment.carrier } : {}),
      ...(shipment.tracking_number ? { tracking_number: shipment.tracking_number } : {}),
      ...(shipment.tracking_url ? { tracking_url: shipment.tracking_url } : {}),
    };
    try {
      await client.completePharmacyOrder(command.targetUid, body, { pharmacyUid: command.pharmacyUid! });
      return { outcome: 'done' };
    } catch (error) {
      return this.refusalOrThrow(client, command, error, 'completed');
    }
  }

  /**
   * A 409 may be the answer to a retry whose first attempt landed and whose answer was lost (the client
   * retries PATCHes, and so does the relay after a timeout): re-read the order and count "already there" as
   * done. Anything else RxScale refuses is recorded, never retried.
   */
  private async refusalOrThrow(
    client: RxScaleClient,
    command: RxscaleCommand,
    error: unknown,
    target: PharmacyOrderStatus,
  ): Promise<CommandOutcome> {
    if (!(error instanceof RxScaleApiError) || !REFUSING_STATUSES.has(error.status)) throw error;
    const requested = target === 'completed' ? 'complete_order' : target;
    if (error instanceof RxScaleConflictError) {
      const current = await client.getPharmacyOrder(command.targetUid, { pharmacyUid: command.pharmacyUid! });
      if (current.status === target) return { outcome: 'done' };
      return {
        outcome: 'refused',
        reason: refusalReason(409, `RxScale has the order in ${current.status} and refused ${requested}`),
      };
    }
    return {
      outcome: 'refused',
      reason: refusalReason(error.status, `RxScale refused ${requested} (${error.code})`),
    };
  }
}
