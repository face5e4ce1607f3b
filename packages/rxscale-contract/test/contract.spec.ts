import { INVENTED_PATIENT, rxscaleAddress, rxscalePatientData } from '@rxbridge/testing';
import { z } from 'zod';
import {
  AuthErrorBody,
  classifyErrorBody,
  CompleteOrderRequest,
  endpointPath,
  ExternalIdUpdateRequest,
  isAllowedStatusTransition,
  ListPharmacyOrdersQuery,
  PageQuery,
  PHARMACY_ORDER_STATUSES,
  PHARMACY_SETTABLE_STATUSES,
  PHARMACY_STATUS_TRANSITIONS,
  PharmacyOrder,
  PharmacyOrderCreatedEvent,
  PharmacyOrderDetail,
  PharmacyOrderPage,
  PharmacyOrderStatus,
  PharmacyOrderUpdatedEvent,
  PharmacySkuPage,
  PharmacySkuStockUpdatedEvent,
  PharmacySkuUpdateRequest,
  PayoutPage,
  RXSCALE_ENDPOINTS,
  StandardErrorBody,
  StatusUpdateRequest,
  StockUpdateRequest,
  WebhookEnvelope,
  WebhookEvent,
  WebhookRegisterRequest,
  WebhookRegisterResponse,
  WebhookSubscriptionList,
} from '../src/index.js';
import {
  listOrdersExample,
  listSkusExample,
  listWebhooksExample,
  orderCreatedEventExample,
  orderDetailFieldsExample,
  orderUpdatedEventExample,
  payoutsExample,
  registerWebhookRequestExample,
  registerWebhookResponseExample,
  skuStockUpdatedEventExample,
} from './api-examples.js';

/** The readable message zod gives for a failed parse, to assert on what a person would read in a log. */
function failure(schema: z.ZodType, input: unknown): string {
  const result = schema.safeParse(input);
  if (result.success) throw new Error('expected the parse to fail');
  return z.prettifyError(result.error);
}

const clone = <T>(v: T): T => structuredClone(v);

describe('RxScale contract', () => {
  describe('API.md example payloads', () => {
    it('parses the orders list, keeping every documented field', () => {
      const page = PharmacyOrderPage.parse(listOrdersExample);
      expect(page.totalRegistries).toBe(87);
      expect(page.data[0]?.status).toBe('waiting for pharmacy');
      expect(page.data[0]?.order.delivery_address?.province).toBeNull();
      expect(page.data[0]?.order_items[0]?.amount).toBe(2);
      expect(
        page.data[0]?.shop_shipping_methods?.[0]?.pharmacy_mapping?.shipping_method_identifier_for_pharmacy,
      ).toBe('GLS_EXPRESS');
    });

    it('parses the order detail (list fields plus detail fields, as a real response carries both)', () => {
      const detail = PharmacyOrderDetail.parse({ ...listOrdersExample.data[0], ...orderDetailFieldsExample });
      expect(detail.status).toBe('pending review');
      expect(detail.doctor_data?.uid).toBe('doc-b3302');
      expect(detail.payouts?.[0]?.status).toBe('projected');
      expect(detail.prepaid).toBe(0);
    });

    it('parses the SKU list, payouts and webhook subscription examples', () => {
      expect(PharmacySkuPage.parse(listSkusExample).data[0]?.stock).toBe(12);
      expect(PayoutPage.parse(payoutsExample).data[0]?.amount).toBe(980);
      expect(WebhookSubscriptionList.parse(listWebhooksExample)).toHaveLength(2);
      expect(WebhookRegisterRequest.parse(registerWebhookRequestExample).notification_type).toBe(
        'pharmacy_order_created',
      );
      expect(WebhookRegisterResponse.parse(registerWebhookResponseExample).signing_secret).toMatch(/^whsec_/);
    });

    it('parses the three webhook events, each by its own schema and through the union', () => {
      expect(
        PharmacyOrderCreatedEvent.parse(orderCreatedEventExample).data.order_items[0]?.pharmacy_sku?.uid,
      ).toBe('psku-m51x');
      expect(PharmacyOrderUpdatedEvent.parse(orderUpdatedEventExample).data.status).toBe('cancelled');
      expect(PharmacySkuStockUpdatedEvent.parse(skuStockUpdatedEventExample).data.stock).toBe(10);
      const events = [orderCreatedEventExample, orderUpdatedEventExample, skuStockUpdatedEventExample].map(
        (e) => WebhookEvent.parse(e),
      );
      expect(events.map((e) => e.event_type)).toEqual([
        'pharmacy_order_created',
        'pharmacy_order_updated',
        'pharmacy_sku_stock_updated',
      ]);
    });

    it('parses the documented request examples', () => {
      expect(StatusUpdateRequest.parse({ status: 'ready_for_pickup' }).status).toBe('ready_for_pickup');
      expect(
        StatusUpdateRequest.parse({
          status: 'on-hold',
          comment: 'PZN 06312077 currently not deliverable from wholesaler; please confirm substitution.',
        }).comment,
      ).toContain('06312077');
      expect(
        PharmacySkuUpdateRequest.parse({ price: 2349, stock: 12, external_id: 'WAWI-448812' }).stock,
      ).toBe(12);
      expect(StockUpdateRequest.parse({ stock: 7 })).toEqual({ stock: 7 });
      expect(ExternalIdUpdateRequest.parse({ external_id: 'WAWI-448812' }).external_id).toBe('WAWI-448812');
    });

    it('parses the documented error bodies and tells their shapes apart', () => {
      expect(StandardErrorBody.parse({ error: 'Resource not found' }).error).toBe('Resource not found');
      expect(
        AuthErrorBody.parse({ code: 'invalid_api_key', description: 'API key not found or inactive' }).code,
      ).toBe('invalid_api_key');
      expect(classifyErrorBody({ code: 'permission_denied', description: 'Permission denied' }).kind).toBe(
        'auth',
      );
      expect(classifyErrorBody({ error: 'Rate limit exceeded' }).kind).toBe('standard');
      expect(
        classifyErrorBody({
          error: 'Invalid request body',
          details: [{ field: 'stock', message: 'must be 0 or more' }],
        }).kind,
      ).toBe('validation');
      expect(classifyErrorBody('<html>Bad Gateway</html>').kind).toBe('unknown');
    });
  });

  describe('tolerance', () => {
    it('keeps unknown fields of a response instead of failing or dropping them', () => {
      const withExtra = { ...clone(orderCreatedEventExample.data), brand_new_field: { x: 1 } };
      const parsed = PharmacyOrder.parse(withExtra);
      expect((parsed as Record<string, unknown>)['brand_new_field']).toEqual({ x: 1 });
    });

    it("carries an order's patient data and addresses through as sent (an invented patient)", () => {
      const order = clone(listOrdersExample.data[0]!) as Record<string, unknown>;
      const patient = { uid: 'pat-invented-1', ...rxscalePatientData(INVENTED_PATIENT) };
      const address = rxscaleAddress(INVENTED_PATIENT);
      const parsed = PharmacyOrder.parse({
        ...order,
        patient_data: patient,
        order: { uid: 'ord-invented-1', delivery_address: address, invoice_address: address },
      });
      expect(parsed.patient_data).toEqual(patient);
      expect(parsed.order.delivery_address).toEqual(address);
    });

    it('accepts an older-revision order without the newest fields', () => {
      const legacy = clone(listOrdersExample.data[0]) as Record<string, unknown>;
      for (const k of [
        'shop_order_name',
        'shop_shipping_methods',
        'shipping_costs_amount',
        'shipping_costs_currency',
      ])
        delete legacy[k];
      expect(PharmacyOrder.safeParse(legacy).success).toBe(true);
    });
  });

  describe('readable failures on what RxBridge relies on', () => {
    it('refuses an unknown status value, naming the field and the allowed values but not the value', () => {
      const order = { ...clone(listOrdersExample.data[0]), status: 'shipped' };
      expect(failure(PharmacyOrder, order)).toMatch(
        /unknown pharmacy order status; expected one of: .*\n.*→ at status/,
      );
    });

    it('refuses a missing uid, a string amount and a missing line list', () => {
      const order = clone(listOrdersExample.data[0]) as Record<string, unknown>;
      delete order['uid'];
      expect(failure(PharmacyOrder, order)).toContain('at uid');
      const bad = clone(listOrdersExample.data[0]!);
      (bad.order_items[0] as Record<string, unknown>)['amount'] = '2';
      expect(failure(PharmacyOrder, bad)).toMatch(/amount must be an integer[\s\S]*order_items\[0\]\.amount/);
      const noItems = clone(listOrdersExample.data[0]) as Record<string, unknown>;
      delete noItems['order_items'];
      expect(failure(PharmacyOrder, noItems)).toContain('at order_items');
    });

    it('refuses a SKU whose stock or price is not an integer', () => {
      const sku = { ...clone(listSkusExample.data[0]), stock: 1.5 };
      expect(failure(PharmacySkuPage, { ...listSkusExample, data: [sku] })).toContain('data[0].stock');
      const price = { ...clone(listSkusExample.data[0]), price: '23.49' };
      expect(failure(PharmacySkuPage, { ...listSkusExample, data: [price] })).toContain('data[0].price');
    });

    it('refuses an unknown webhook event type and a bad envelope', () => {
      expect(
        failure(WebhookEvent, { ...orderCreatedEventExample, event_type: 'appointment_reminder_due' }),
      ).toContain('unknown webhook event_type');
      expect(
        failure(WebhookEnvelope, { event_type: 'x', timestamp: 'yesterday', payload_version: '1', data: {} }),
      ).toContain('at timestamp');
    });

    it('refuses a register response without a signing secret', () => {
      const { signing_secret: _drop, ...rest } = registerWebhookResponseExample;
      expect(failure(WebhookRegisterResponse, rest)).toContain('signing_secret');
    });
  });

  describe('requests', () => {
    it('requires a non-blank comment for on-hold', () => {
      expect(failure(StatusUpdateRequest, { status: 'on-hold' })).toMatch(
        /comment is required[\s\S]*at comment/,
      );
      expect(failure(StatusUpdateRequest, { status: 'on-hold', comment: '   ' })).toContain(
        'comment is required',
      );
    });

    it('refuses completed, system statuses and unknown values on /status', () => {
      expect(failure(StatusUpdateRequest, { status: 'completed' })).toContain('complete_order');
      expect(failure(StatusUpdateRequest, { status: 'waiting for pharmacy' })).toContain('cannot be set');
      expect(failure(StatusUpdateRequest, { status: 'shipped' })).toContain('"shipped"');
    });

    it('validates the complete_order shipping fields (DESIGN.md §11)', () => {
      expect(
        CompleteOrderRequest.parse({
          carrier: 'DHL',
          tracking_number: '00340434161094042557',
          tracking_url: 'https://tracking.example/00340434161094042557',
        }).carrier,
      ).toBe('DHL');
      expect(CompleteOrderRequest.parse({})).toEqual({});
      expect(failure(CompleteOrderRequest, { tracking_url: 'javascript:alert(1)' })).toContain(
        'tracking_url',
      );
    });

    it('refuses negative, fractional or missing stock and an empty SKU update', () => {
      expect(failure(StockUpdateRequest, { stock: -1 })).toContain('stock must be 0 or more');
      expect(failure(StockUpdateRequest, { stock: 2.5 })).toContain('stock must be an integer');
      expect(failure(StockUpdateRequest, {})).toContain('at stock');
      expect(failure(PharmacySkuUpdateRequest, {})).toContain('at least one of price, stock, external_id');
      expect(failure(ExternalIdUpdateRequest, { external_id: '' })).toContain(
        'external_id must not be empty',
      );
    });

    it('refuses a webhook target that is not an http(s) URL and an unknown event type', () => {
      expect(
        failure(WebhookRegisterRequest, {
          target: 'ftp://x.example/',
          notification_type: 'pharmacy_order_created',
        }),
      ).toContain('target must be an http(s) URL');
      expect(
        failure(WebhookRegisterRequest, { target: 'https://x.example/', notification_type: 'order_created' }),
      ).toContain('unknown webhook event type "order_created"');
    });
  });

  describe('pagination query', () => {
    it('defaults to page 0 and limit 50, caps the limit at 200', () => {
      expect(PageQuery.parse({})).toEqual({ page: 0, limit: 50 });
      expect(PageQuery.parse({ page: '3', limit: '1000' })).toEqual({ page: 3, limit: 200 });
    });

    it('refuses negative pages, zero limits and non-numbers', () => {
      expect(failure(PageQuery, { page: '-1' })).toContain('page must be 0 or more');
      expect(failure(PageQuery, { limit: '0' })).toContain('limit must be 1 or more');
      expect(failure(PageQuery, { limit: 'ten' })).toContain('limit must be an integer');
    });

    it('reads the status filter of the orders list exactly', () => {
      expect(ListPharmacyOrdersQuery.parse({ status: 'waiting for pharmacy' }).status).toBe(
        'waiting for pharmacy',
      );
      expect(ListPharmacyOrdersQuery.safeParse({ status: 'waiting_for_pharmacy' }).success).toBe(false);
    });
  });

  describe('status transitions (API.md §9)', () => {
    it('has an entry for every status, naming only statuses the pharmacy may set', () => {
      expect(Object.keys(PHARMACY_STATUS_TRANSITIONS).sort()).toEqual([...PHARMACY_ORDER_STATUSES].sort());
      for (const targets of Object.values(PHARMACY_STATUS_TRANSITIONS))
        for (const t of targets) expect(PHARMACY_SETTABLE_STATUSES).toContain(t);
    });

    it('allows the happy path and refuses skipping, going back from final states and completing via /status', () => {
      expect(isAllowedStatusTransition('waiting for pharmacy', 'pending review')).toBe(true);
      expect(isAllowedStatusTransition('pending review', 'in-progress')).toBe(true);
      expect(isAllowedStatusTransition('in-progress', 'ready_for_pickup')).toBe(true);
      expect(isAllowedStatusTransition('waiting for pharmacy', 'ready_for_pickup')).toBe(false);
      expect(isAllowedStatusTransition('cancelled', 'in-progress')).toBe(false);
      expect(isAllowedStatusTransition('completed', 'cancelled')).toBe(false);
      expect(isAllowedStatusTransition('ready_for_pickup', 'completed')).toBe(false);
    });

    it('lets every open status go on-hold and be cancelled, and on-hold resume', () => {
      for (const s of [
        'waiting for pharmacy',
        'pending review',
        'in-progress',
        'ready_for_pickup',
      ] as const) {
        expect(isAllowedStatusTransition(s, 'on-hold')).toBe(true);
        expect(isAllowedStatusTransition(s, 'cancelled')).toBe(true);
      }
      expect(isAllowedStatusTransition('on-hold', 'in-progress')).toBe(true);
    });

    it('knows every status value of API.md §9', () => {
      expect(PharmacyOrderStatus.options).toEqual([
        'init',
        'waiting for pharmacy',
        'pending review',
        'on-hold',
        'in-progress',
        'ready_for_pickup',
        'completed',
        'cancelled',
      ]);
    });
  });

  describe('endpoints', () => {
    it('fills and encodes the uid of a path template, and refuses a missing one', () => {
      expect(endpointPath(RXSCALE_ENDPOINTS.updatePharmacyOrderStatus.path, 'po/1 x')).toBe(
        '/pharmacy_orders/po%2F1%20x/status',
      );
      expect(endpointPath(RXSCALE_ENDPOINTS.listPharmacyOrders.path)).toBe('/pharmacy_orders/');
      expect(() => endpointPath(RXSCALE_ENDPOINTS.getPharmacyOrder.path)).toThrow('needs a uid');
    });

    it('lets /stock through with either stock_write or pharmacy_sku_write (API.md §2)', () => {
      expect(RXSCALE_ENDPOINTS.updatePharmacySkuStock.anyOf).toEqual(['stock_write', 'pharmacy_sku_write']);
      expect(RXSCALE_ENDPOINTS.updatePharmacySku.anyOf).toEqual(['pharmacy_sku_write']);
    });
  });
});
