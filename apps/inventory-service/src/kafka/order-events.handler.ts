import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Topics, type AnyEvent, type EventOfType } from '@rxbridge/contracts';
import { OnEvent, OnTopic, PlumbingContext } from '@rxbridge/service-kit';
import { InventoryMetrics } from '../metrics/inventory-metrics.js';
import { RXSCALE_CLIENTS, type RxscaleClientPort } from '../rxscale/rxscale-client.port.js';
import { StockReservationService } from '../reservations/stock-reservation.service.js';

/**
 * `pharmacy.orders.v1`: reserve on receipt (every line or none; the use case publishes reserved or
 * reservation-failed through the outbox), release on cancellation, deduct on completion. Each runs in the
 * record's transaction (ctx.manager), so the inbox mark, the stock rows and the events commit together.
 * An order of a pharmacy no source of this deployment holds is another deployment's (two on one broker):
 * counted as `not-served` and left alone, so it is never answered with a reservation-failed it did not ask
 * for.
 */
@Controller()
export class OrderEventsHandler {
  constructor(
    private readonly reservations: StockReservationService,
    private readonly metrics: InventoryMetrics,
    @Inject(RXSCALE_CLIENTS) private readonly clients: RxscaleClientPort,
  ) {}

  private served(pharmacyUid: string): boolean {
    if (this.clients.serves(pharmacyUid)) return true;
    this.metrics.reservations.inc({ outcome: 'not-served' });
    return false;
  }

  @OnEvent('pharmacy.order.received')
  async received(
    @Payload() event: EventOfType<'pharmacy.order.received'>,
    @Ctx() ctx: PlumbingContext,
  ): Promise<void> {
    if (!this.served(event.data.pharmacy_uid)) return;
    const result = await this.reservations.reserve(ctx.manager, event.data);
    this.metrics.reservations.inc({ outcome: result.outcome });
  }

  @OnEvent('pharmacy.order.cancelled')
  async cancelled(
    @Payload() event: EventOfType<'pharmacy.order.cancelled'>,
    @Ctx() ctx: PlumbingContext,
  ): Promise<void> {
    if (!this.served(event.data.pharmacy_uid)) return;
    const result = await this.reservations.release(ctx.manager, event.data);
    this.metrics.reservations.inc({ outcome: result.outcome });
  }

  /** RxScale lowers its own stock on complete_order: the use case deducts here without counting it twice. */
  @OnEvent('pharmacy.order.completed')
  async completed(
    @Payload() event: EventOfType<'pharmacy.order.completed'>,
    @Ctx() ctx: PlumbingContext,
  ): Promise<void> {
    if (!this.served(event.data.pharmacy_uid)) return;
    const result = await this.reservations.deduct(ctx.manager, event.data);
    this.metrics.reservations.inc({ outcome: result.outcome });
  }

  /**
   * The topic's other types (status changes, ready for pickup, refused transitions) move no stock. Taken and dropped, so they do not become dead letters (an unhandled type is one).
   */
  @OnTopic(Topics.pharmacyOrders.name)
  others(@Payload() _event: AnyEvent): void {
    // nothing to do: see above
  }
}
