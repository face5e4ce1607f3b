// The example payloads of API.md (invented values), copied verbatim so the schemas are tested against the
// contract document itself.

export const listOrdersExample = {
  data: [
    {
      uid: 'po-k4t9w2',
      status: 'waiting for pharmacy',
      name: 'PO-R7QX-2LMC-83VD',
      shop_order_name: '#58210',
      external_status: 'OPEN',
      pharmacy: { uid: 'ph-7q2lnd', display_name: 'Apotheke am Lindenplatz' },
      order: {
        uid: 'ord-3b81fe',
        delivery_address: {
          first_name: 'Jana',
          last_name: 'Vogelsang',
          street: 'Karl-Liebknecht-Str.',
          house_number: '42a',
          zip_code: '04107',
          city: 'Leipzig',
          country: 'Germany',
          additional_address: '2. OG',
          province: null,
        },
        invoice_address: {
          first_name: 'Jana',
          last_name: 'Vogelsang',
          street: 'Prager Str.',
          house_number: '7',
          zip_code: '04103',
          city: 'Leipzig',
          country: 'Germany',
          additional_address: null,
          province: null,
        },
        priority: 2,
      },
      order_items: [
        {
          uid: 'oi-5520a',
          amount: 2,
          sku: { uid: 'sku-ibu400', display_name: 'Ibuprofen 400 mg, 20 Tabletten', pzn: '06312077' },
          total_paid_amount: 1180,
        },
      ],
      shop_shipping_methods: [
        {
          uid: 'ssm-0c91',
          display_name: 'GLS Express',
          external_id: 'shop-express-24h',
          pharmacy_mapping: {
            pharmacy_uid: 'ph-7q2lnd',
            shipping_method_identifier_for_pharmacy: 'GLS_EXPRESS',
          },
        },
      ],
      shipping_costs_amount: 690,
      shipping_costs_currency: 'EUR',
    },
  ],
  totalRegistries: 87,
  totalPages: 2,
};

export const orderDetailFieldsExample = {
  uid: 'po-k4t9w2',
  status: 'pending review',
  patient_data: {
    uid: 'pat-e90d1',
    display_name: 'Jana Vogelsang',
    email: 'j.vogelsang@example.org',
    date_of_birth: '1984-07-02',
  },
  doctor_data: { uid: 'doc-b3302', display_name: 'Dr. med. Leon Brandt' },
  prescription_file: { filename: 'rezept_PO-R7QX.pdf', content_base64: 'JVBERi0xLjcK' },
  prepaid: 0,
  payouts: [{ status: 'projected', amount: 980, currency: 'EUR', component: 'item_rest' }],
};

export const listSkusExample = {
  data: [
    {
      uid: 'psku-m51x',
      external_id: 'WAWI-448812',
      price: 2349,
      stock: 12,
      pharmacy: 'ph-7q2lnd',
      sku: {
        uid: 'sku-ibu400',
        display_name: 'Ibuprofen 400 mg, 20 Tabletten',
        pzn: '06312077',
        product_uid: 'prod-ibu',
        product_display_name: 'Ibuprofen 400 mg',
        standard_selling_unit: 20.0,
        unit: 'St',
        product_handle: 'ibuprofen-400-mg',
        digital: false,
      },
      created_at: 1735689600,
      updated_at: 1736294400,
      deleted_at: null,
    },
  ],
  totalRegistries: 212,
  totalPages: 5,
};

export const listWebhooksExample = [
  {
    uid: 'sub-w8n2rc',
    target: 'https://pms.apotheke-lindenplatz.example/hooks/rxscale',
    notification_type: 'pharmacy_order_updated',
  },
  {
    uid: 'sub-w8n2rd',
    target: 'https://pms.apotheke-lindenplatz.example/hooks/rxscale',
    notification_type: 'pharmacy_sku_stock_updated',
  },
];

export const registerWebhookRequestExample = {
  target: 'https://pms.apotheke-lindenplatz.example/hooks/rxscale',
  notification_type: 'pharmacy_order_created',
};

export const registerWebhookResponseExample = {
  uid: 'sub-w8n2rb',
  target: 'https://pms.apotheke-lindenplatz.example/hooks/rxscale',
  notification_type: 'pharmacy_order_created',
  signing_secret: 'whsec_TEST0nly9fQe2LmZ7xKc41',
};

export const payoutsExample = {
  data: [
    {
      status: 'routed',
      amount: 980,
      currency: 'EUR',
      component: 'item_rest',
      pharmacy_order_uid: 'po-k4t9w2',
      pharmacy_order_name: 'PO-R7QX-2LMC-83VD',
      pharmacy_order_created_at: 1736330000,
      routing_created_at: 1736600000,
      provider_route_id: 'rt_51Hq',
      routing_description: 'Split payment PO-R7QX-2LMC-83VD',
    },
  ],
  totalRegistries: 1,
  totalPages: 1,
};

export const orderCreatedEventExample = {
  event_type: 'pharmacy_order_created',
  timestamp: 1736331000,
  payload_version: '1',
  data: {
    uid: 'po-k4t9w2',
    status: 'waiting for pharmacy',
    name: 'PO-R7QX-2LMC-83VD',
    data: {},
    external_status: 'OPEN',
    created_at: 1736330000,
    updated_at: 1736330950,
    deleted_at: null,
    pharmacy: { uid: 'ph-7q2lnd', display_name: 'Apotheke am Lindenplatz' },
    order: {
      uid: 'ord-3b81fe',
      delivery_address: {
        first_name: 'Jana',
        last_name: 'Vogelsang',
        street: 'Karl-Liebknecht-Str.',
        house_number: '42a',
        zip_code: '04107',
        city: 'Leipzig',
        country: 'Germany',
        additional_address: '2. OG',
      },
      invoice_address: {
        first_name: 'Jana',
        last_name: 'Vogelsang',
        street: 'Prager Str.',
        house_number: '7',
        zip_code: '04103',
        city: 'Leipzig',
        country: 'Germany',
        additional_address: null,
      },
      shipping_costs_amount: 690,
      shipping_costs_currency: 'EUR',
      priority: 2,
    },
    delivery_type: { uid: 'dt-gls', display_name: 'Versand GLS', identifier: 'shipping' },
    order_items: [
      {
        uid: 'oi-5520a',
        amount: 2,
        sku: {
          uid: 'sku-ibu400',
          display_name: 'Ibuprofen 400 mg, 20 Tabletten',
          pzn: '06312077',
          product_uid: 'prod-ibu',
          product_display_name: 'Ibuprofen 400 mg',
          product_handle: 'ibuprofen-400-mg',
        },
        pharmacy_sku: { uid: 'psku-m51x', external_id: 'WAWI-448812', price: 2349, stock: 12 },
      },
    ],
    patient_data: {
      uid: 'pat-e90d1',
      display_name: 'Jana Vogelsang',
      email: 'j.vogelsang@example.org',
      date_of_birth: '1984-07-02',
    },
  },
};

export const orderUpdatedEventExample = {
  event_type: 'pharmacy_order_updated',
  timestamp: 1736417400,
  payload_version: '1',
  data: {
    uid: 'po-k4t9w2',
    status: 'cancelled',
    name: 'PO-R7QX-2LMC-83VD',
    data: {},
    external_status: 'OPEN',
    created_at: 1736330000,
    updated_at: 1736417390,
    deleted_at: null,
    pharmacy: { uid: 'ph-7q2lnd', display_name: 'Apotheke am Lindenplatz' },
    order: {
      uid: 'ord-3b81fe',
      delivery_address: {
        first_name: 'Jana',
        last_name: 'Vogelsang',
        street: 'Karl-Liebknecht-Str.',
        house_number: '42a',
        zip_code: '04107',
        city: 'Leipzig',
        country: 'Germany',
        additional_address: '2. OG',
      },
      invoice_address: {
        first_name: 'Jana',
        last_name: 'Vogelsang',
        street: 'Prager Str.',
        house_number: '7',
        zip_code: '04103',
        city: 'Leipzig',
        country: 'Germany',
        additional_address: null,
      },
    },
    delivery_type: null,
    order_items: [],
    patient_data: null,
  },
};

export const skuStockUpdatedEventExample = {
  event_type: 'pharmacy_sku_stock_updated',
  timestamp: 1736418000,
  payload_version: '1',
  data: {
    uid: 'psku-m51x',
    external_id: 'WAWI-448812',
    price: 2349,
    stock: 10,
    pharmacy: 'ph-7q2lnd',
    sku: {
      uid: 'sku-ibu400',
      display_name: 'Ibuprofen 400 mg, 20 Tabletten',
      pzn: '06312077',
      product_uid: 'prod-ibu',
      product_display_name: 'Ibuprofen 400 mg',
      standard_selling_unit: 20.0,
      unit: 'St',
      product_handle: 'ibuprofen-400-mg',
      digital: false,
    },
    created_at: 1735689600,
    updated_at: 1736418000,
    deleted_at: null,
  },
};
