import { readFile } from 'node:fs/promises';
import { SeedFile } from './admin-schemas.js';
import type { DirectoryService } from './directory.service.js';
import type { OrdersService } from './orders.service.js';

/** Reads and validates a seed file; a bad file stops the start, naming the file and the problem. */
export async function readSeed(path: string): Promise<SeedFile> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`seed file ${path} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new Error(`seed file ${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = SeedFile.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.')}: ${i.message}`)
      .join('; ');
    throw new Error(`seed file ${path} is invalid: ${first}`);
  }
  return parsed.data;
}

/** Applies a seed through the same services as the admin API, in dependency order. */
export function applySeed(seed: SeedFile, directory: DirectoryService, orders: OrdersService): void {
  for (const g of seed.groups) directory.createGroup(g);
  for (const p of seed.pharmacies) directory.createPharmacy(p);
  for (const k of seed.api_keys) directory.createApiKey(k);
  for (const s of seed.skus) directory.createSku(s);
  for (const ps of seed.pharmacy_skus) directory.createPharmacySku(ps);
  for (const o of seed.orders) orders.create(o);
}
