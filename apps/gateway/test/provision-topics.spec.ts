import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { allTopics } from '@rxbridge/contracts';
import { brokers, kafkaClient } from '@rxbridge/testing';

const run = promisify(execFile);
const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'provision-topics.js');

/** The deploy's one-shot (k8s Job `provision-topics`, compose `setup`) as a real process. */
describe('dist/provision-topics.js', () => {
  it('creates the catalog on the broker, and a second run changes nothing', async () => {
    const env = { ...process.env, KAFKA_BROKERS: brokers.join(','), LOG_LEVEL: 'info' };
    await run(process.execPath, [entry], { env });
    const second = await run(process.execPath, [entry], { env });
    const line = second.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; created?: string[]; existing?: number })
      .find((l) => l.msg === 'topics provisioned');
    expect(line).toMatchObject({ created: [], existing: allTopics().length });
    const admin = kafkaClient('provision-topics-test').admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toEqual(expect.arrayContaining(allTopics().map((t) => t.name)));
    } finally {
      await admin.disconnect();
    }
  });

  it('refuses a bad configuration with the configuration exit code, and an unreachable broker with 1', async () => {
    const bad = await run(process.execPath, [entry], {
      env: { ...process.env, KAFKA_BROKERS: 'no port' },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 78, stderr: expect.stringContaining('KAFKA_BROKERS') });
    const down = await run(process.execPath, [entry], {
      env: { ...process.env, KAFKA_BROKERS: '127.0.0.1:1', KAFKAJS_NO_PARTITIONER_WARNING: '1' },
      timeout: 120_000,
    }).catch((e: { code: number; stdout: string }) => e);
    expect(down).toMatchObject({
      code: 1,
      stdout: expect.stringContaining('provisioning the topics failed'),
    });
  });
});
