// Writes seed/demo-chain.json: an invented demo chain (one group, three pharmacies, 150 catalogue SKUs,
// ~380 pharmacy SKUs, demo API keys, a few orders). Deterministic: the same file on every run.
// Run: npm run seed:generate (from apps/rxscale-sandbox). Every value is invented; the keys are demo-only.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_PERMISSIONS } from '@rxbridge/rxscale-contract';
import * as prettier from 'prettier';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'seed', 'demo-chain.json');

// mulberry32: a tiny seeded PRNG, so the file does not change between runs.
let state = 20260101;
const rand = () => {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (arr) => arr[Math.floor(rand() * arr.length)];
const int = (min, max) => min + Math.floor(rand() * (max - min + 1));

const substances = [
  ['Ibuprofen', ['200 mg', '400 mg', '600 mg'], 'Tabletten'],
  ['Paracetamol', ['500 mg', '1000 mg'], 'Tabletten'],
  ['Metformin', ['500 mg', '850 mg', '1000 mg'], 'Filmtabletten'],
  ['Ramipril', ['2,5 mg', '5 mg', '10 mg'], 'Tabletten'],
  ['Amlodipin', ['5 mg', '10 mg'], 'Tabletten'],
  ['Pantoprazol', ['20 mg', '40 mg'], 'magensaftresistente Tabletten'],
  ['Simvastatin', ['20 mg', '40 mg'], 'Filmtabletten'],
  ['Levothyroxin', ['50 µg', '75 µg', '100 µg'], 'Tabletten'],
  ['Cetirizin', ['10 mg'], 'Filmtabletten'],
  ['Salbutamol', ['100 µg'], 'Dosieraerosol'],
  ['Diclofenac', ['1 %', '2 %'], 'Gel'],
  ['Bisoprolol', ['2,5 mg', '5 mg', '10 mg'], 'Filmtabletten'],
  ['Candesartan', ['8 mg', '16 mg'], 'Tabletten'],
  ['Torasemid', ['5 mg', '10 mg'], 'Tabletten'],
  ['Atorvastatin', ['10 mg', '20 mg', '40 mg'], 'Filmtabletten'],
];
const packs = [20, 30, 50, 100];

const skus = [];
const seenPzn = new Set();
let n = 0;
while (skus.length < 150) {
  const [name, strengths, form] = substances[n % substances.length];
  const strength = strengths[Math.floor(n / substances.length) % strengths.length];
  const pack = packs[Math.floor(n / (substances.length * 3)) % packs.length];
  n++;
  let pzn;
  do pzn = String(int(1_000_000, 19_999_999)).padStart(8, '0');
  while (seenPzn.has(pzn));
  seenPzn.add(pzn);
  const product = `${name} ${strength}`;
  const uid = `sku-demo-${String(skus.length + 1).padStart(3, '0')}`;
  skus.push({
    uid,
    display_name: `${product}, ${pack} ${form}`,
    pzn,
    product_uid: `prod-${name.toLowerCase()}-${strength.replace(/[^0-9a-z]+/gi, '')}`,
    product_display_name: product,
    standard_selling_unit: pack,
    unit: 'St',
    digital: false,
  });
}

const group = { uid: 'grp-demo-chain', display_name: 'Demo-Apothekengruppe Mitte (invented)' };
const pharmacies = [
  { uid: 'ph-demo-lindenplatz', display_name: 'Demo-Apotheke am Lindenplatz', group_uid: group.uid },
  { uid: 'ph-demo-markt', display_name: 'Demo-Markt-Apotheke', group_uid: group.uid },
  { uid: 'ph-demo-bahnhof', display_name: 'Demo-Bahnhof-Apotheke', group_uid: group.uid },
];

const pharmacySkus = [];
pharmacies.forEach((ph, p) => {
  for (const [i, sku] of skus.entries()) {
    // Each pharmacy carries most, not all, of the catalogue.
    if (rand() < 0.15) continue;
    pharmacySkus.push({
      uid: `psku-demo-${p + 1}-${String(i + 1).padStart(3, '0')}`,
      pharmacy_uid: ph.uid,
      sku_uid: sku.uid,
      price: int(199, 8999),
      stock: rand() < 0.08 ? 0 : int(1, 120),
      external_id: rand() < 0.9 ? `WAWI-${p + 1}${String(int(10000, 99999))}` : null,
    });
  }
});

const all = [...API_PERMISSIONS];
const api_keys = [
  {
    id: 'key-demo-group',
    name: 'Demo group-wide key (demo only)',
    group_uid: group.uid,
    permissions: all,
    key: 'demo-group-key-0000000000000000',
  },
  ...pharmacies.map((ph, i) => ({
    id: `key-demo-pharmacy-${i + 1}`,
    name: `Demo key for ${ph.display_name} (demo only)`,
    pharmacy_uid: ph.uid,
    permissions: all,
    key: `demo-pharmacy-${i + 1}-key-000000000000`,
  })),
  {
    id: 'key-demo-readonly',
    name: 'Demo read-only key (demo only)',
    pharmacy_uid: pharmacies[0].uid,
    permissions: ['orders_read', 'stock_read', 'webhooks_read'],
    key: 'demo-readonly-key-00000000000000',
  },
];

const firstNames = ['Erika', 'Max', 'Lena', 'Jonas', 'Mia', 'Paul'];
const lastNames = ['Musterfrau', 'Mustermann', 'Beispiel', 'Probe', 'Demo', 'Test'];
const orders = [];
for (let i = 0; i < 6; i++) {
  const ph = pharmacies[i % pharmacies.length];
  const own = pharmacySkus.filter((s) => s.pharmacy_uid === ph.uid && s.stock > 0);
  const first = pick(firstNames);
  const last = pick(lastNames);
  orders.push({
    uid: `po-demo-${String(i + 1).padStart(3, '0')}`,
    pharmacy_uid: ph.uid,
    name: `PO-DEMO-${String(1000 + i)}`,
    shop_order_name: `#${50000 + i}`,
    priority: i % 3,
    items: [pick(own), pick(own)]
      .filter((s, j, arr) => arr.findIndex((x) => x.uid === s.uid) === j)
      .map((s) => ({ pharmacy_sku_uid: s.uid, amount: int(1, 3) })),
    patient: {
      first_name: first,
      last_name: last,
      email: `${first}.${last}@example.org`.toLowerCase(),
      date_of_birth: `19${int(40, 99)}-0${int(1, 9)}-1${int(0, 9)}`,
    },
  });
}

const seed = { groups: [group], pharmacies, api_keys, skus, pharmacy_skus: pharmacySkus, orders };
// Formatted like every other file of the workspace, so `prettier --check` passes on the generated seed.
const options = (await prettier.resolveConfig(out)) ?? {};
writeFileSync(out, await prettier.format(JSON.stringify(seed), { ...options, parser: 'json' }));
console.log(
  `wrote ${out}: ${skus.length} SKUs, ${pharmacySkus.length} pharmacy SKUs, ${orders.length} orders`,
);
