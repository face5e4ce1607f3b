// `npm start` as a user runs it (node tools/cli.mjs start, a child process): with the simulator on, an
// order created at the sandbox reaches `completed` with nobody doing anything; Ctrl-C (SIGINT) stops it all.
// Ports are moved (RXBRIDGE_STACK_PORT_OFFSET) and the consumer groups renamed, so it shares the machine
// and the broker with other runs; the database is its own.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  INVENTED_PATIENT,
  INVENTED_PERSON_MARKERS,
  brokers,
  createTestDatabase,
  isPortFree,
  requestJson,
  uniqueSuffix,
  waitFor,
} from '@rxbridge/testing';
import { leakedMarkers, patientMarkers, sandboxPatient, startGroupsAtEnd } from './support/stack.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const seed = JSON.parse(readFileSync(join(root, 'apps/rxscale-sandbox/seed/demo-chain.json'), 'utf8'));
const DEFAULT_PORTS = [4010, 3000, 3001, 3002, 3003];

/** An offset that puts every default port of the stack on a free port. */
async function freeOffset() {
  for (let i = 0; i < 50; i++) {
    const offset = 20000 + Math.floor(Math.random() * 30000);
    const free = await Promise.all(DEFAULT_PORTS.map((p) => isPortFree(p + offset)));
    if (free.every(Boolean)) return offset;
  }
  throw new Error('no free port range for the stack');
}

it('npm start runs the whole system: a sandbox order reaches completed with the simulator, and SIGINT stops everything', async () => {
  const database = await createTestDatabase('e2e_start');
  const offset = await freeOffset();
  const suffix = `-e2e-start-${uniqueSuffix()}`;
  await startGroupsAtEnd(suffix);
  const credentialsFile = join(mkdtempSync(join(tmpdir(), 'rxbridge-start-')), 'stack-credentials.json');
  const child = spawn(process.execPath, [join(root, 'tools', 'cli.mjs'), 'start'], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      KAFKA_BROKERS: brokers.join(','),
      RXBRIDGE_STACK_PORT_OFFSET: String(offset),
      RXBRIDGE_STACK_GROUP_SUFFIX: suffix,
      RXBRIDGE_STACK_CREDENTIALS_FILE: credentialsFile,
      SIMULATOR_PACK_DELAY_MS: '500',
      SIMULATOR_POLL_MS: '300',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  try {
    await waitFor(
      () =>
        // the banner and the credentials line after it may arrive in separate chunks
        out.includes('[stack] RxBridge is running') && out.includes(credentialsFile)
          ? true
          : child.exitCode !== null
            ? Promise.reject(new Error(out))
            : undefined,
      'the start banner',
      {
        timeoutMs: 180_000,
        intervalMs: 250,
      },
    ).catch((/** @type {unknown} */ error) => {
      // what the stack printed says which part did not come up
      throw new Error(
        `${error instanceof Error ? error.message : String(error)}; npm start printed:\n${out.slice(-4000)}`,
      );
    });
    expect(out).toContain('with the pharmacy simulator');
    expect(out).toContain(credentialsFile);
    expect(statSync(credentialsFile).mode & 0o777).toBe(0o600);
    const creds = JSON.parse(readFileSync(credentialsFile, 'utf8'));
    expect(creds.token).toMatch(/^rxb_/);
    expect(out).not.toContain(creds.token);
    await waitFor(
      () => (out.includes('[simulator] stock sent pharmacy=ph-demo-lindenplatz') ? true : undefined),
      'the simulator sent stock',
      { timeoutMs: 60_000 },
    );

    const sandbox = `http://127.0.0.1:${4010 + offset}`;
    const uid = `po-e2e-start-${uniqueSuffix()}`;
    const created = await requestJson(`${sandbox}/_admin/orders`, {
      method: 'POST',
      body: {
        uid,
        pharmacy_uid: 'ph-demo-lindenplatz',
        items: [{ pharmacy_sku_uid: 'psku-demo-1-010', amount: 1 }],
        patient: sandboxPatient(INVENTED_PATIENT),
      },
    });
    expect(created.status).toBe(201);
    const done = await waitFor(
      async () => {
        const r = await requestJson(`${sandbox}/_admin/orders/${uid}`);
        return /** @type {any} */ (r.body)?.status === 'completed' ? /** @type {any} */ (r.body) : undefined;
      },
      `order ${uid} completed at the sandbox`,
      { timeoutMs: 90_000, intervalMs: 300 },
    );
    expect(done.shipment).toMatchObject({ carrier: 'DHL', tracking_number: expect.stringMatching(/^DEMO/) });
    expect(out).toContain(`[simulator] order ${uid} packed (ready)`);
    expect(out).toContain(`[simulator] order ${uid} dispatched carrier=DHL`);

    child.kill('SIGINT');
    const end = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 60_000))]);
    expect(end).toEqual({ code: 0, signal: null });
    expect(out).toContain('[stack] stopped');
    for (const p of DEFAULT_PORTS) expect(await isPortFree(p + offset)).toBe(true);
    expect(leakedMarkers(out, patientMarkers(seed, INVENTED_PERSON_MARKERS))).toEqual([]);
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    }
    await database.drop();
  }
}, 360_000);
