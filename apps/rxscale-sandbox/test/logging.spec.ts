import { INVENTED_PATIENT as patient, INVENTED_PERSON_MARKERS } from '@rxbridge/testing';
import { startSandbox } from '../src/index.js';
import { admin, api, createOrder, setupChain } from './helpers.js';

describe('RxScale sandbox: console log', () => {
  it('logs one request line per API call: no bodies, no query strings, no keys, no patient data', async () => {
    const lines: string[] = [];
    // The sandbox writes its request lines with console.log; capture them for the duration of the test.
    const original = console.log;
    console.log = (...args: unknown[]) => lines.push(args.map(String).join(' '));
    const sb = await startSandbox({ port: 0, log: true, rateLimit: false });
    const keyValues: string[] = [];
    try {
      const { keys } = await setupChain(sb);
      keyValues.push(...Object.values(keys));
      const uid = await createOrder(sb, {
        pharmacy_uid: 'ph-a1',
        items: [{ pharmacy_sku_uid: 'psku-a1-1', amount: 1 }],
        patient: { first_name: patient.firstName, last_name: patient.lastName, email: patient.email },
      });
      await api(sb, 'GET', `/pharmacy_orders/${uid}`, { key: keys.a1 });
      await api(sb, 'GET', `/pharmacy_orders/?search=${patient.lastName}`, { key: keys.a1 });
      await api(sb, 'PATCH', `/pharmacy_orders/${uid}/status`, {
        key: keys.a1,
        body: { status: 'on-hold', comment: `Rückfrage zu ${patient.displayName}` },
      });
      await api(sb, 'GET', '/pharmacy_orders/', { key: 'sbx_wrong-key-1234567890' });
      await admin(sb, 'GET', '/state');
    } finally {
      await sb.close();
      console.log = original;
    }
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^GET \/v1\/external-pharmacy-api-v1\/pharmacy_orders\/ 200 \d+ms key=key-/);
    expect(lines[3]).toMatch(/ 401 \d+ms key=-$/);
    const all = lines.join('\n');
    for (const secret of [...keyValues, ...INVENTED_PERSON_MARKERS, 'search', 'sbx_wrong-key', 'on-hold']) {
      expect([secret, all.includes(secret)]).toEqual([secret, false]);
    }
  });
});
