// stopKafka signals only a process it can prove is the broker started from this data folder. No broker
// runs here: stand-in processes carry (or do not carry) the broker's command line.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive, waitFor } from '@rxbridge/testing';
import { stopKafka } from '../kafka/kafka.mjs';

describe('stopping the local broker', () => {
  /** @type {string} */
  let dataDir;
  /** @type {import('node:child_process').ChildProcess[]} */
  const children = [];
  /** @type {string[]} */
  const lines = [];
  const opts = () => ({
    env: { RXBRIDGE_KAFKA_DATA: dataDir },
    log: (/** @type {string} */ l) => lines.push(l),
  });

  /** A live process whose command line holds `args` (a broker's, or not). @param {string[]} args */
  function standIn(args) {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', ...args], {
      stdio: 'ignore',
    });
    children.push(child);
    writeFileSync(join(dataDir, 'broker.pid'), String(child.pid));
    return /** @type {number} */ (child.pid);
  }

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'rxbridge-kafka-stop-'));
    lines.length = 0;
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stops the process that runs kafka.Kafka with this folder’s server.properties', async () => {
    const pid = standIn(['kafka.Kafka', join(dataDir, 'server.properties')]);
    await waitFor(() => isProcessAlive(pid), 'the stand-in to run');
    expect(await stopKafka(opts())).toBe(true);
    await waitFor(() => !isProcessAlive(pid), 'the stand-in broker to end');
    expect(existsSync(join(dataDir, 'broker.pid'))).toBe(false);
  });

  it('leaves alone a live process that reused the recorded pid', async () => {
    const pid = standIn(['something-else']);
    expect(await stopKafka(opts())).toBe(false);
    expect(isProcessAlive(pid)).toBe(true);
    expect(lines.join('\n')).toContain(`pid ${pid} from`);
    expect(lines.join('\n')).toContain('not stopping it');
  });

  it('leaves alone the broker of another data folder', async () => {
    const pid = standIn(['kafka.Kafka', '/somewhere/else/.data/server.properties']);
    expect(await stopKafka(opts())).toBe(false);
    expect(isProcessAlive(pid)).toBe(true);
  });

  it('leaves alone a live process whose command line cannot be read, even a real broker', async () => {
    const pid = standIn(['kafka.Kafka', join(dataDir, 'server.properties')]);
    expect(await stopKafka({ ...opts(), commandLineOf: () => undefined })).toBe(false);
    expect(isProcessAlive(pid)).toBe(true);
    expect(lines.join('\n')).toContain('cannot be read');
  });

  it('reports nothing running when the recorded process is gone, and forgets it', async () => {
    writeFileSync(join(dataDir, 'broker.pid'), '2147483646');
    expect(await stopKafka(opts())).toBe(false);
    expect(lines).toEqual(['no broker started from here is running']);
    expect(existsSync(join(dataDir, 'broker.pid'))).toBe(false);
  });
});
