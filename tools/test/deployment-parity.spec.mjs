// The compose file and the Kubernetes manifests run what `npm start` runs, with the same variables. The one
// source is tools/stack/apps.mjs: its parts, each part's env (and what its prepare() adds), and the
// infrastructure env npm start gives every part. A variable counts where the part reads it (its config
// schema: tools/env-example-parts.mjs), so a shared ConfigMap entry a part ignores is no difference.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SECRET_KEYS,
  containerVariables,
  overlays,
  readCompose,
  render,
  root,
} from '../deploy/manifests.mjs';
import { partVariables } from '../env-example-parts.mjs';
import { DEFAULT_PORTS, infrastructureEnv, stackApps } from '../stack/apps.mjs';
import { COMPOSE_HOSTS } from '../stack/compose-setup.mjs';
import { mintStackCredentials } from '../stack/credentials.mjs';

/** @typedef {Record<string, any>} K8sObject */

/** Parts of npm start that no cluster runs: they stand in for what a chain already has. */
const LOCAL_ONLY_PARTS = {
  sandbox: 'RxScale itself',
  simulator: "the pharmacy's own PMS and shipping desk",
};

/**
 * The only variables a part reads that npm start sets and the cluster leaves unset, or the other way
 * round. Every other variable a part reads is set in all three places or in none.
 */
const LOCAL_ONLY_VARIABLES = {
  // npm start names the group so that RXBRIDGE_STACK_GROUP_SUFFIX can rename it; the cluster uses the
  // default, the catalog's group (ConsumerGroups), which the KEDA ScaledObjects name
  KAFKA_GROUP_ID: 'k8s',
};
const DEPLOYED_ONLY_VARIABLES = {
  // set explicitly wherever it is deployed, so an overlay can change it (staging: debug); npm start keeps
  // the default, info
  LOG_LEVEL: 'k8s and compose',
};

const apps = stackApps({ credentials: await mintStackCredentials() });
const reads = partVariables();
const infrastructure = Object.keys(infrastructureEnv({ databaseUrl: 'postgres://x', brokers: 'x:9092' }));

/** @param {import('../stack/apps.mjs').StackApp} app the variables npm start sets for the app itself */
const ownVariables = (app) => [...Object.keys(app.env), ...(app.prepares ?? [])];
/** @param {import('../stack/apps.mjs').StackApp} app everything the app's process gets from npm start */
const npmVariables = (app) => new Set([...ownVariables(app), ...infrastructure]);

/**
 * What differs between npm start's variables and another place's, among those the part reads.
 * @param {string} part @param {Set<string>} npm @param {Set<string>} there
 */
function differences(part, npm, there) {
  const read = new Set(reads[part]);
  return {
    onlyNpm: [...npm].filter((v) => read.has(v) && !there.has(v)).sort(),
    onlyThere: [...there].filter((v) => read.has(v) && !npm.has(v)).sort(),
  };
}

/**
 * The differences the exceptions above allow for a part, in a place.
 * @param {string} part @param {'k8s' | 'compose'} place
 */
function allowed(part, place) {
  const read = new Set(reads[part]);
  const of = (/** @type {Record<string, string>} */ list) =>
    Object.entries(list)
      .filter(([name, where]) => where.includes(place) && read.has(name))
      .map(([name]) => name)
      .sort();
  return { onlyNpm: of(LOCAL_ONLY_VARIABLES), onlyThere: of(DEPLOYED_ONLY_VARIABLES) };
}

describe('npm start, the one source of the parts and their variables (tools/stack/apps.mjs)', () => {
  it('knows what each of its parts reads', () => {
    expect(Object.keys(reads).sort()).toEqual(apps.map((a) => a.name).sort());
  });

  it('sets each part only variables it reads', () => {
    for (const app of apps) {
      const read = new Set(reads[app.name]);
      expect([app.name, ownVariables(app).filter((v) => !read.has(v))]).toEqual([app.name, []]);
    }
  });

  it('refuses a prepare() that returns other variables than the app declares', async () => {
    const { preparedEnv } = await import('../stack/apps.mjs');
    const app = { ...apps[0], prepares: ['A'], prepare: async () => ({ A: '1', B: '2' }) };
    await expect(preparedEnv(app)).rejects.toThrow(/returned \[A, B\], its declaration says \[A\]/);
  });
});

describe.each(overlays())('Kubernetes overlay %s against npm start', (overlay) => {
  /** @type {K8sObject[]} */
  const objects = render(join(root, 'k8s', 'overlays', overlay));
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  const deployed = apps.filter((a) => !(a.name in LOCAL_ONLY_PARTS));

  it('runs a Deployment (and a Service) for every part but the local stand-ins', () => {
    const names = deployed.map((a) => a.name).sort();
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(names);
    expect(
      objects
        .filter((o) => o.kind === 'Service')
        .map((s) => s.metadata.name)
        .sort(),
    ).toEqual(names);
  });

  it.each(deployed.map((a) => a.name))('gives %s the variables npm start gives it', (name) => {
    const app = apps.find((a) => a.name === name);
    const [container] = deployments.find((d) => d.metadata.name === name).spec.template.spec.containers;
    const k8s = containerVariables(container, objects);
    expect(differences(name, npmVariables(app), k8s)).toEqual(allowed(name, 'k8s'));
    // the port npm start uses is the container's, and the Service's target
    const port = container.env.find((/** @type {any} */ e) => e.name === 'HTTP_PORT')?.value;
    expect(port).toBe(app.env.HTTP_PORT);
    expect(String(container.ports.find((/** @type {any} */ p) => p.name === 'http').containerPort)).toBe(
      port,
    );
  });

  it('names only Secrets whose keys are known, and docs/deploy.md lists the same keys', () => {
    const referenced = new Set(
      objects
        .flatMap((o) => o.spec?.template?.spec?.containers ?? [])
        .flatMap((c) => c.envFrom ?? [])
        .filter((f) => f.secretRef)
        .map((f) => f.secretRef.name),
    );
    expect([...referenced].sort()).toEqual(Object.keys(SECRET_KEYS).sort());
    const tokenHolders = apps.filter((a) => a.env.HTTP_API_TOKENS).map((a) => a.name);
    expect(secretsInDeployDoc(tokenHolders)).toEqual(
      Object.fromEntries(Object.entries(SECRET_KEYS).map(([k, v]) => [k, [...v].sort()])),
    );
  });
});

describe('docker-compose.yml against npm start', () => {
  const compose = readCompose();
  /** @param {string} name */
  const service = (name) => compose.services[name];

  it('runs every part of npm start under its own name, reached at the host compose-setup gives it', () => {
    for (const app of apps) expect([app.name, service(app.name)]).toEqual([app.name, expect.any(Object)]);
    // the parts others call (those with a ready path; the simulator only calls)
    expect(Object.values(COMPOSE_HOSTS).sort()).toEqual(
      apps
        .filter((a) => a.ready)
        .map((a) => a.name)
        .sort(),
    );
  });

  it('hands the setup-written env file to the part it was written for', () => {
    expect(service('setup').environment.STACK_ENV_DIR).toBe('/run/rxbridge');
    for (const app of apps.filter((a) => a.name !== 'sandbox')) {
      const command = [service(app.name).command].flat().join(' ');
      expect([app.name, command]).toEqual([
        app.name,
        expect.stringContaining(`. /run/rxbridge/${app.name}.env && exec node`),
      ]);
    }
  });

  it.each(apps.map((a) => a.name))('gives %s the variables npm start gives it', (name) => {
    const app = apps.find((a) => a.name === name);
    const s = service(name);
    const fromFile = [s.command].flat().join(' ').includes(`/run/rxbridge/${name}.env`)
      ? ownVariables(app)
      : [];
    const there = new Set([...Object.keys(s.environment ?? {}), ...fromFile]);
    expect(differences(name, npmVariables(app), there)).toEqual(allowed(name, 'compose'));
    for (const port of ['HTTP_PORT', 'SANDBOX_PORT'])
      if (s.environment?.[port] !== undefined)
        expect([name, s.environment[port]]).toEqual([name, app.env[port]]);
  });

  it('publishes each part on the port npm start uses, on the loopback address', () => {
    const listening = apps.filter((a) => a.ready);
    expect(listening.map((a) => Number(a.env.HTTP_PORT ?? a.env.SANDBOX_PORT)).sort()).toEqual(
      Object.values(DEFAULT_PORTS).sort(),
    );
    for (const app of listening) {
      const port = app.env.HTTP_PORT ?? app.env.SANDBOX_PORT;
      expect([app.name, service(app.name).ports]).toEqual([app.name, [`127.0.0.1:${port}:${port}`]]);
    }
  });
});

/**
 * The Secrets table of docs/deploy.md: secret name → its keys (backticked names outside parentheses);
 * `<service>-api-tokens` stands for each service's.
 * @param {string[]} services
 * @returns {Record<string, string[]>}
 */
function secretsInDeployDoc(services) {
  const doc = readFileSync(join(root, 'docs', 'deploy.md'), 'utf8');
  const table = doc.slice(doc.indexOf('### Secrets'));
  /** @type {Record<string, string[]>} */
  const out = {};
  for (const line of table.split('\n').slice(1)) {
    if (line.startsWith('#')) break;
    const cells = line.split('|').map((c) => c.trim());
    const name = /^`([^`]+)`$/.exec(cells[1] ?? '')?.[1];
    if (!name) continue;
    const keys = [...(cells[2] ?? '').replace(/\([^)]*\)/g, '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)]
      .map((m) => m[1])
      .sort();
    const names = name.includes('<service>') ? services.map((s) => name.replace('<service>', s)) : [name];
    for (const n of names) out[n] = keys;
  }
  return out;
}
