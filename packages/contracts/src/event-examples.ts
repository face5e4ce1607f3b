import type { PharmacyEventData, PharmacyEventType } from './event-registry.js';

/**
 * One valid, invented payload per event type: shown in the AsyncAPI document and used by the tests, so the
 * documentation's examples are checked against the schemas they illustrate.
 */
export const ExampleEventData: { [T in PharmacyEventType]: PharmacyEventData<T> } = {
  'pharmacy.order.received': {
    pharmacy_uid: 'ph-7q2lnd',
    pharmacy_order_uid: 'po-k4t9w2',
    order_uid: 'ord-3b81fe',
    name: 'PO-R7QX-2LMC-83VD',
    status: 'waiting for pharmacy',
    priority: 2,
    delivery_type: 'shipping',
    lines: [
      {
        order_item_uid: 'oi-5520a',
        sku_uid: 'sku-ibu400',
        pharmacy_sku_uid: 'psku-m51x',
        external_id: 'WAWI-448812',
        pzn: '06312077',
        quantity: 2,
      },
    ],
    received_at: '2026-01-08T10:10:00.000Z',
  },
  'pharmacy.order.status-changed': {
    pharmacy_uid: 'ph-7q2lnd',
    pharmacy_order_uid: 'po-k4t9w2',
    from: 'pending review',
    to: 'on-hold',
    reason: 'PZN 06312077: 2 requested, 0 available',
    initiator: 'rxbridge',
    changed_at: '2026-01-08T10:10:02.000Z',
  },
  'pharmacy.order.ready-for-pickup': {
    pharmacy_uid: 'ph-7q2lnd',
    pharmacy_order_uid: 'po-k4t9w2',
    initiator: 'pharmacy',
    ready_at: '2026-01-08T11:00:00.000Z',
  },
  'pharmacy.order.completed': {
    pharmacy_uid: 'ph-7q2lnd',
    pharmacy_order_uid: 'po-k4t9w2',
    shipment_uid: 'shp-0d2c9a',
    completed_at: '2026-01-08T14:30:00.000Z',
  },
  'pharmacy.order.cancelled': {
    pharmacy_uid: 'ph-7q2lnd',
    pharmacy_order_uid: 'po-k4t9w2',
    previous_status: 'in-progress',
    initiator: 'rxscale',
    cancelled_at: '2026-01-08T12:00:00.000Z',
  },
  'pharmacy.order.transition-refused': {
    pharmacy_uid: 'ph-7q2lnd',
    pharmacy_order_uid: 'po-k4t9w2',
    from: 'cancelled',
    requested: 'ready_for_pickup',
    refused_by: 'state-machine',
    reason: 'a cancelled order cannot move to ready_for_pickup',
    refused_at: '2026-01-08T12:00:05.000Z',
  },
  'pharmacy.stock.level-changed': {
    pharmacy_uid: 'ph-7q2lnd',
    pharmacy_sku_uid: 'psku-m51x',
    external_id: 'WAWI-448812',
    pzn: '06312077',
    on_hand: 12,
    reserved: 2,
    available: 10,
    cause: 'reservation',
    changed_at: '2026-01-08T10:10:01.000Z',
  },
  'pharmacy.stock.reserved': {
    pharmacy_uid: 'ph-7q2lnd',
    pharmacy_order_uid: 'po-k4t9w2',
    lines: [{ pharmacy_sku_uid: 'psku-m51x', external_id: 'WAWI-448812', pzn: '06312077', quantity: 2 }],
    reserved_at: '2026-01-08T10:10:01.000Z',
  },
  'pharmacy.stock.reservation-failed': {
    pharmacy_uid: 'ph-7q2lnd',
    pharmacy_order_uid: 'po-k4t9w2',
    missing: [
      {
        pharmacy_sku_uid: 'psku-m51x',
        external_id: 'WAWI-448812',
        pzn: '06312077',
        requested: 2,
        available: 0,
      },
    ],
    failed_at: '2026-01-08T10:10:01.000Z',
  },
  'pharmacy.stock.released': {
    pharmacy_uid: 'ph-7q2lnd',
    pharmacy_order_uid: 'po-k4t9w2',
    lines: [{ pharmacy_sku_uid: 'psku-m51x', pzn: '06312077', quantity: 2 }],
    reason: 'order cancelled',
    released_at: '2026-01-08T12:00:01.000Z',
  },
  'pharmacy.stock.deducted': {
    pharmacy_uid: 'ph-7q2lnd',
    pharmacy_order_uid: 'po-k4t9w2',
    lines: [{ pharmacy_sku_uid: 'psku-m51x', pzn: '06312077', quantity: 2 }],
    deducted_at: '2026-01-08T14:30:01.000Z',
  },
  'pharmacy.shipment.recorded': {
    pharmacy_uid: 'ph-7q2lnd',
    pharmacy_order_uid: 'po-k4t9w2',
    shipment_uid: 'shp-0d2c9a',
    carrier: 'GLS',
    tracking_number: '00340434161094015902',
    tracking_url: 'https://tracking.example.com/00340434161094015902',
    recorded_at: '2026-01-08T13:00:00.000Z',
  },
  'pharmacy.shipment.dispatched': {
    pharmacy_uid: 'ph-7q2lnd',
    pharmacy_order_uid: 'po-k4t9w2',
    shipment_uid: 'shp-0d2c9a',
    carrier: 'GLS',
    tracking_number: '00340434161094015902',
    tracking_url: 'https://tracking.example.com/00340434161094015902',
    dispatched_at: '2026-01-08T14:00:00.000Z',
  },
  'pharmacy.shipment.stopped': {
    pharmacy_uid: 'ph-7q2lnd',
    pharmacy_order_uid: 'po-k4t9w2',
    shipment_uid: 'shp-0d2c9a',
    reason: 'order cancelled before dispatch',
    stopped_at: '2026-01-08T12:00:02.000Z',
  },
  'pharmacy.shipment.flagged': {
    pharmacy_uid: 'ph-7q2lnd',
    pharmacy_order_uid: 'po-k4t9w2',
    shipment_uid: 'shp-0d2c9a',
    carrier: 'GLS',
    tracking_number: '00340434161094015902',
    tracking_url: null,
    reason: 'order cancelled after dispatch: recall the parcel',
    flagged_at: '2026-01-08T15:00:00.000Z',
  },
  'pharmacy.shipment.handed-over': {
    pharmacy_uid: 'ph-7q2lnd',
    pharmacy_order_uid: 'po-k4t9w2',
    shipment_uid: 'shp-0d2c9a',
    handed_over_at: '2026-01-08T14:00:00.000Z',
  },
  'pharmacy.shipment.delivered': {
    pharmacy_uid: 'ph-7q2lnd',
    pharmacy_order_uid: 'po-k4t9w2',
    shipment_uid: 'shp-0d2c9a',
    carrier: 'GLS',
    tracking_number: '00340434161094015902',
    delivered_at: '2026-01-09T10:00:00.000Z',
  },
};

/**
 * Invented webhook bodies (trimmed: no patient data, which real ones carry) for the `rxscale.*` examples.
 * Kept as strings because the stored form is the exact bytes.
 */
export const ExampleWebhookBodies = {
  pharmacy_order_created:
    '{"event_type":"pharmacy_order_created","timestamp":1767867000,"payload_version":"1","data":{"uid":"po-k4t9w2","status":"waiting for pharmacy","pharmacy":{"uid":"ph-7q2lnd","display_name":"Apotheke am Lindenplatz"}}}',
  pharmacy_order_updated:
    '{"event_type":"pharmacy_order_updated","timestamp":1767873600,"payload_version":"1","data":{"uid":"po-k4t9w2","status":"cancelled","pharmacy":{"uid":"ph-7q2lnd","display_name":"Apotheke am Lindenplatz"}}}',
  pharmacy_sku_stock_updated:
    '{"event_type":"pharmacy_sku_stock_updated","timestamp":1767874200,"payload_version":"1","data":{"uid":"psku-m51x","external_id":"WAWI-448812","stock":10,"pharmacy":"ph-7q2lnd"}}',
  unrecognized:
    '{"event_type":"pharmacy_payout_created","timestamp":1767874800,"payload_version":"1","data":{"uid":"pay-19ac"}}',
} as const;
