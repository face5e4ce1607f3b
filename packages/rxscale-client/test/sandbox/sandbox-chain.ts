import { API_PERMISSIONS } from '@rxbridge/rxscale-contract';
import type { RequestLogEntry, RunningSandbox } from '@rxbridge/rxscale-sandbox';
import { sandboxAdminOk } from '@rxbridge/testing/sandbox';

const ALL_PERMISSIONS = [...API_PERMISSIONS];

export interface Chain {
  singleKey: string;
  groupKey: string;
  readOnlyKey: string;
  skuUids: string[];
  orderUids: string[];
}

/**
 * A group with two pharmacies (invented names), keys of both scopes, 25 SKUs with stock in ph-a1 and
 * five orders waiting there.
 */
export async function setupChain(sb: RunningSandbox): Promise<Chain> {
  await sandboxAdminOk(sb, 'POST', '/groups', { uid: 'grp-a', display_name: 'Gruppe A' });
  await sandboxAdminOk(sb, 'POST', '/pharmacies', {
    uid: 'ph-a1',
    display_name: 'Apotheke A1',
    group_uid: 'grp-a',
  });
  await sandboxAdminOk(sb, 'POST', '/pharmacies', {
    uid: 'ph-a2',
    display_name: 'Apotheke A2',
    group_uid: 'grp-a',
  });
  const key = async (body: Record<string, unknown>) =>
    (await sandboxAdminOk<{ key: string }>(sb, 'POST', '/api-keys', body)).key;
  const singleKey = await key({ name: 'single', pharmacy_uid: 'ph-a1', permissions: ALL_PERMISSIONS });
  const groupKey = await key({ name: 'group', group_uid: 'grp-a', permissions: ALL_PERMISSIONS });
  const readOnlyKey = await key({ name: 'read-only', pharmacy_uid: 'ph-a1', permissions: ['orders_read'] });
  const skuUids: string[] = [];
  for (let i = 0; i < 25; i++) {
    const pzn = String(10_000_000 + i);
    await sandboxAdminOk(sb, 'POST', '/skus', { uid: `sku-${i}`, display_name: `Testpräparat ${i}`, pzn });
    const psku = await sandboxAdminOk<{ uid: string }>(sb, 'POST', '/pharmacy-skus', {
      uid: `psku-a1-${i}`,
      pharmacy_uid: 'ph-a1',
      sku_uid: `sku-${i}`,
      price: 1000 + i,
      stock: 50,
    });
    skuUids.push(psku.uid);
  }
  await sandboxAdminOk(sb, 'POST', '/pharmacy-skus', {
    uid: 'psku-a2-0',
    pharmacy_uid: 'ph-a2',
    sku_uid: 'sku-0',
    price: 999,
    stock: 5,
  });
  const orderUids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const order = await sandboxAdminOk<{ uid: string }>(sb, 'POST', '/orders', {
      uid: `po-a1-${i}`,
      pharmacy_uid: 'ph-a1',
      items: [{ pharmacy_sku_uid: skuUids[i]!, amount: 2, total_paid_amount: 2000 }],
    });
    orderUids.push(order.uid);
  }
  return { singleKey, groupKey, readOnlyKey, skuUids, orderUids };
}

export async function requestLog(sb: RunningSandbox): Promise<RequestLogEntry[]> {
  return (await sandboxAdminOk<{ entries: RequestLogEntry[] }>(sb, 'GET', '/requests?limit=100000')).entries;
}
