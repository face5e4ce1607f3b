import { buildEvent, eventRoute, EventSources, type StockLevelChanged } from '@rxbridge/contracts';
import { outgoingTraceHeaders, type OutboxMessage } from '@rxbridge/service-kit';
import { type EntityManager } from 'typeorm';
import { type ArticleChange } from './stock.repository.js';

// events per INSERT: four arrays, whatever the count
const EVENT_CHUNK = 5_000;

export function availableOf(onHand: number, reserved: number): number {
  return Math.max(0, onHand - reserved);
}

export function inventoryMessage(event: ReturnType<typeof buildEvent>): OutboxMessage {
  const { topic, key } = eventRoute(event);
  return { topic, key, event };
}

/**
 * `pharmacy.stock.level-changed` for every article whose on hand or reserved count moved. An upload can
 * change tens of thousands of articles, so the rows go into the outbox as four arrays per statement
 * (service-kit's enqueueEvents binds four parameters a row, which took seconds here). Each event was
 * validated by buildEvent against its contract, envelope included; all share the upload's trace headers.
 */
export async function enqueueLevelChanges(
  manager: EntityManager,
  pharmacyUid: string,
  changes: readonly ArticleChange[],
  cause: StockLevelChanged['cause'],
  at: Date,
): Promise<void> {
  const headers = JSON.stringify(outgoingTraceHeaders());
  for (let i = 0; i < changes.length; i += EVENT_CHUNK) {
    const messages = changes.slice(i, i + EVENT_CHUNK).map((c) =>
      inventoryMessage(
        buildEvent(
          'pharmacy.stock.level-changed',
          {
            pharmacy_uid: pharmacyUid,
            pharmacy_sku_uid: c.pharmacySkuUid,
            external_id: c.articleId,
            pzn: c.pzn,
            on_hand: c.onHand,
            reserved: c.reserved,
            available: availableOf(c.onHand, c.reserved),
            cause,
            changed_at: at.toISOString(),
          },
          { source: EventSources.inventoryService, time: at },
        ),
      ),
    );
    await manager.query(
      `INSERT INTO outbox (topic, key, value, headers)
       SELECT u.topic, u.key, u.value::json, $4::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) AS u(topic, key, value)`,
      [
        messages.map((m) => m.topic),
        messages.map((m) => m.key),
        messages.map((m) => JSON.stringify(m.event)),
        headers,
      ],
    );
  }
}
