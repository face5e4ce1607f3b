import { INVENTED_PATIENT } from '@rxbridge/testing';

/** RxScale's example order (API.md §11.6) with invented patient data; `change` edits a copy of it. */
export function orderWebhookBody(
  uid: string,
  change: (data: Record<string, unknown>) => void = () => {},
): Buffer {
  const address = {
    first_name: INVENTED_PATIENT.firstName,
    last_name: INVENTED_PATIENT.lastName,
    street: INVENTED_PATIENT.address.street,
    house_number: INVENTED_PATIENT.address.houseNumber,
    zip_code: INVENTED_PATIENT.address.zipCode,
    city: INVENTED_PATIENT.address.city,
    country: INVENTED_PATIENT.address.country,
    additional_address: null,
  };
  const data: Record<string, unknown> = {
    uid,
    status: 'waiting for pharmacy',
    name: 'PO-TEST-0001',
    data: {},
    external_status: 'OPEN',
    created_at: 1736330000,
    updated_at: 1736330950,
    deleted_at: null,
    pharmacy: { uid: 'ph-webhook-test', display_name: 'Apotheke Test' },
    order: { uid: `ord-${uid}`, delivery_address: address, invoice_address: address, priority: 2 },
    delivery_type: { uid: 'dt-gls', display_name: 'Versand GLS', identifier: 'shipping' },
    order_items: [
      {
        uid: `oi-${uid}`,
        amount: 2,
        sku: { uid: 'sku-test', display_name: 'Testpräparat', pzn: '12345678' },
        pharmacy_sku: { uid: 'psku-test', external_id: 'WAWI-1', price: 1299, stock: 12 },
      },
    ],
    patient_data: {
      uid: 'pat-test',
      display_name: INVENTED_PATIENT.displayName,
      email: INVENTED_PATIENT.email,
      date_of_birth: INVENTED_PATIENT.dateOfBirth,
    },
  };
  change(data);
  return Buffer.from(
    JSON.stringify({
      event_type: 'pharmacy_order_created',
      timestamp: 1736331000,
      payload_version: '1',
      data,
    }),
  );
}
