import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '@rxbridge/service-kit';
import { DataSource, type EntityManager } from 'typeorm';
import { OrderRepository, type OrderRow } from '../orders/order.repository.js';
import {
  openPatientData,
  PATIENT_DATA_CIPHER,
  type PatientDataCipher,
} from '../patient-data/patient-data-cipher.js';
import { type ListOrdersParams, type OrderSummary } from './order.schemas.js';

const SUMMARY_COLUMNS = `pharmacy_order_uid, pharmacy_uid, order_uid, name, state, held_from, rxscale_status,
  delivery_type, priority, stock_policy, refused_requested, refused_reason, refused_status_code, shipment_uid,
  patient_data_purged_at, received_at, updated_at, closed_at,
  to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at`;

type SummaryRow = Omit<
  OrderRow,
  'patient_name' | 'patient_email' | 'patient_date_of_birth' | 'delivery_address'
> & {
  cursor_at: string;
};

/** What the REST edge reads: the order list (keyset pagination on updated_at, uid) and one order in full. */
@Injectable()
export class OrderQueries {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly orders: OrderRepository,
    @Inject(PATIENT_DATA_CIPHER) private readonly cipher: PatientDataCipher,
  ) {}

  async list(query: ListOrdersParams): Promise<{ items: OrderSummary[]; next_cursor: string | null }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (query.state) add('state = ANY(?)', query.state);
    if (query.pharmacy_uid) add('pharmacy_uid = ?', query.pharmacy_uid);
    if (query.updated_since) add('updated_at >= ?', new Date(query.updated_since));
    if (query.updated_until) add('updated_at < ?', new Date(query.updated_until));
    if (query.cursor) {
      const [at, uid] = decodeCursor(query.cursor);
      params.push(at, uid);
      where.push(
        `(updated_at, pharmacy_order_uid) > ($${params.length - 1}::timestamptz, $${params.length})`,
      );
    }
    params.push(query.limit + 1);
    const rows = await this.dataSource.query<SummaryRow[]>(
      `SELECT ${SUMMARY_COLUMNS} FROM orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY updated_at, pharmacy_order_uid LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map(summaryOf),
      next_cursor:
        rows.length > query.limit && last ? encodeCursor(last.cursor_at, last.pharmacy_order_uid) : null,
    };
  }

  async detail(uid: string, withPatientData: boolean) {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const row = await this.mustFind(manager, uid);
      // One after another: a transaction is one connection, and pg deprecates queries queued on a busy client.
      const lines = await this.orders.lines(manager, uid);
      const history = await this.orders.history(manager, uid);
      const commands = await this.orders.commands(manager, uid);
      return {
        ...summaryOf(row),
        lines,
        history: history.map((h) => ({
          at: h.at.toISOString(),
          trigger: h.trigger,
          from_state: h.from_state,
          to_state: h.to_state,
          rxscale_status: h.rxscale_status,
          initiator: h.initiator,
          note: h.note,
        })),
        commands: commands.map((c) => ({
          id: c.id,
          kind: c.kind,
          requested: requestedOf(c.payload),
          status: c.status,
          attempts: c.attempts,
          reason: c.reason,
          created_at: c.created_at.toISOString(),
          completed_at: c.completed_at?.toISOString() ?? null,
        })),
        ...(withPatientData ? { patient: this.patientOf(row) } : {}),
      };
    });
  }

  /** The delivery address for shipping-service: 404 unknown order, 410 purged by the retention job. */
  async deliveryAddress(uid: string): Promise<{ address: Record<string, unknown> | null }> {
    const row = await this.mustFind(this.dataSource.manager, uid);
    if (row.patient_data_purged_at !== null)
      throw new ApiError(410, 'patient_data_purged', "the order's patient data was removed (retention)");
    const open = openPatientData(this.cipher, row.pharmacy_order_uid, row);
    return { address: open.deliveryAddress ?? null };
  }

  async mustFind(manager: EntityManager, uid: string): Promise<OrderRow> {
    const row = await this.orders.find(manager, uid);
    if (!row) throw new ApiError(404, 'order_not_found', 'no order with this pharmacy order uid');
    return row;
  }

  private patientOf(row: OrderRow) {
    const open = openPatientData(this.cipher, row.pharmacy_order_uid, row);
    return {
      name: open.name,
      email: open.email,
      date_of_birth: open.dateOfBirth,
      delivery_address: open.deliveryAddress ?? null,
    };
  }
}

function summaryOf(row: Omit<SummaryRow, 'cursor_at'>): OrderSummary {
  return {
    pharmacy_order_uid: row.pharmacy_order_uid,
    pharmacy_uid: row.pharmacy_uid,
    order_uid: row.order_uid,
    name: row.name,
    state: row.state,
    held_from: row.held_from,
    rxscale_status: row.rxscale_status,
    delivery_type: row.delivery_type,
    priority: row.priority,
    stock_policy: row.stock_policy,
    refusal:
      row.refused_requested !== null
        ? {
            requested: row.refused_requested,
            reason: row.refused_reason ?? '',
            rxscale_status_code: row.refused_status_code,
          }
        : null,
    shipment_uid: row.shipment_uid,
    patient_data_purged: row.patient_data_purged_at !== null,
    received_at: row.received_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    closed_at: row.closed_at?.toISOString() ?? null,
  };
}

function requestedOf(payload: unknown): string | null {
  if (payload && typeof payload === 'object' && 'status' in payload) return String(payload.status);
  if (payload && typeof payload === 'object' && 'shipment_uid' in payload) return 'complete_order';
  return null;
}

function encodeCursor(at: string, uid: string): string {
  return Buffer.from(JSON.stringify([at, uid])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      !Number.isNaN(Date.parse(value[0])) &&
      typeof value[1] === 'string'
    )
      return [value[0], value[1]];
  } catch {
    // fall through
  }
  throw new ApiError(400, 'invalid_request', 'the request query is invalid', [
    { field: 'cursor', issue: 'invalid_cursor', message: 'is not a cursor of this list' },
  ]);
}
