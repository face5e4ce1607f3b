import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type DataSource } from 'typeorm';
import {
  createServiceDataSource,
  FieldCipher,
  FieldCipherError,
  fieldAad,
  fieldKey,
  reencryptColumn,
} from '../../src/index.js';
import { databaseUrl, uniqueSuffix } from '@rxbridge/testing';

const ROWS = 230;

describe(reencryptColumn.name, () => {
  const schema = `crypto_t_${uniqueSuffix()}`;
  let dataSource: DataSource;
  let sql: pg.Client;
  const oldKeys = new Map([['old', fieldKey(randomBytes(32))]]);
  const before = new FieldCipher({ keys: oldKeys, activeKeyId: 'old' });
  const after = new FieldCipher({
    keys: new Map([...oldKeys, ['new', fieldKey(randomBytes(32))]]),
    activeKeyId: 'new',
  });
  const aad = (id: string) => fieldAad('patient', 'name', id);
  const nameOf = (i: number) => `Testa Beispiel ${i}`;

  beforeAll(async () => {
    sql = new pg.Client({ connectionString: databaseUrl });
    await sql.connect();
    await sql.query(`CREATE SCHEMA "${schema}"`);
    dataSource = createServiceDataSource({ url: databaseUrl, schema, migrations: [], poolSize: 4 });
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await sql.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await sql.end();
  });
  beforeEach(async () => {
    await sql.query(`DROP TABLE IF EXISTS "${schema}".patient`);
    await sql.query(`CREATE TABLE "${schema}".patient (id bigint PRIMARY KEY, name text, note text)`);
    for (let i = 1; i <= ROWS; i++) {
      // a few rows without a value, a few already under the new key
      const value = i % 50 === 0 ? null : (i % 7 === 0 ? after : before).encrypt(nameOf(i), aad(String(i)));
      await sql.query(`INSERT INTO "${schema}".patient (id, name, note) VALUES ($1, $2, 'n')`, [i, value]);
    }
  });

  async function stored(): Promise<{ id: string; name: string | null }[]> {
    return (
      await sql.query<{ id: string; name: string | null }>(
        `SELECT id::text, name FROM "${schema}".patient ORDER BY id`,
      )
    ).rows;
  }

  async function expectAllUnderNewKey(): Promise<void> {
    for (const row of await stored()) {
      if (row.name === null) continue;
      expect([row.id, FieldCipher.keyIdOf(row.name)]).toEqual([row.id, 'new']);
      expect(after.decrypt(row.name, aad(row.id))).toBe(nameOf(Number(row.id)));
    }
  }

  it('moves every value to the active key in batches, leaving other columns and empty values alone', async () => {
    const toMove = (await stored()).filter((r) => r.name !== null && after.needsReencryption(r.name)).length;
    const progress = await reencryptColumn({
      dataSource,
      cipher: after,
      table: 'patient',
      column: 'name',
      aad,
      batchSize: 40,
    });
    expect(progress.reencrypted).toBe(toMove);
    expect(progress.batches).toBe(Math.ceil(toMove / 40));
    await expectAllUnderNewKey();
    const others = await sql.query(
      `SELECT count(*)::int AS n FROM "${schema}".patient WHERE name IS NULL OR note <> 'n'`,
    );
    expect(others.rows[0]).toEqual({ n: Math.floor(ROWS / 50) });
  });

  it('is idempotent: a second run finds nothing to do and changes nothing', async () => {
    await reencryptColumn({ dataSource, cipher: after, table: 'patient', column: 'name', aad });
    const once = await stored();
    const again = await reencryptColumn({ dataSource, cipher: after, table: 'patient', column: 'name', aad });
    expect(again).toEqual({ reencrypted: 0, batches: 0 });
    expect(await stored()).toEqual(once);
  });

  it('resumes after being stopped halfway, keeping what was committed', async () => {
    const stop = new AbortController();
    const first = await reencryptColumn({
      dataSource,
      cipher: after,
      table: 'patient',
      column: 'name',
      aad,
      batchSize: 25,
      signal: stop.signal,
      onBatch: (p) => {
        if (p.batches === 2) stop.abort();
      },
    });
    expect(first).toEqual({ reencrypted: 50, batches: 2 });
    const halfway = (await stored()).filter(
      (r) => r.name !== null && !after.needsReencryption(r.name),
    ).length;
    const second = await reencryptColumn({
      dataSource,
      cipher: after,
      table: 'patient',
      column: 'name',
      aad,
      batchSize: 25,
    });
    expect(second.reencrypted).toBeGreaterThan(0);
    expect(halfway).toBeGreaterThanOrEqual(50);
    await expectAllUnderNewKey();
  });

  it('stops on a value that does not decrypt, writing nothing of that batch, and names no patient data', async () => {
    await sql.query(`UPDATE "${schema}".patient SET name = $1 WHERE id = 3`, [
      before.encrypt(nameOf(3), aad('4')),
    ]);
    const snapshot = await stored();
    const failure = reencryptColumn({
      dataSource,
      cipher: after,
      table: 'patient',
      column: 'name',
      aad,
      batchSize: 500,
    });
    await expect(failure).rejects.toBeInstanceOf(FieldCipherError);
    await expect(failure).rejects.toMatchObject({ code: 'cipher_authentication_failed' });
    await failure.catch((error: Error) => expect(error.message).not.toContain('Testa'));
    expect(await stored()).toEqual(snapshot);
  });

  it('refuses names that are not identifiers, and columns that do not exist', async () => {
    await expect(
      reencryptColumn({ dataSource, cipher: after, table: 'patient; DROP TABLE x', column: 'name' }),
    ).rejects.toThrow(RangeError);
    await expect(
      reencryptColumn({ dataSource, cipher: after, table: 'patient', column: 'missing' }),
    ).rejects.toThrow('no column patient.missing');
  });
});
