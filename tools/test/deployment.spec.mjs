import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsumerGroups, allTopics } from '@rxbridge/contracts';
import { DockerfileParser } from 'dockerfile-ast';
import {
  composeProblems,
  overlays,
  readCompose,
  render,
  root,
  schemaProblems,
} from '../deploy/manifests.mjs';
import { stackApps } from '../stack/apps.mjs';
import { mintStackCredentials } from '../stack/credentials.mjs';

/** @typedef {Record<string, any>} K8sObject */

const SERVICES = ['gateway', 'order-service', 'inventory-service', 'shipping-service'];
/** The kit's HTTP_SHUTDOWN_DELAY_MS default (5 s) plus time to finish in-flight records and requests. */
const DRAIN_SECONDS = 5 + 20;

/** @type {Record<string, K8sObject[]>} */
const rendered = Object.fromEntries(overlays().map((o) => [o, render(join(root, 'k8s', 'overlays', o))]));

/**
 * Why an image reference is not pinned to a precise version, or null when it is: a digest, or a tag that
 * names a whole version (major.minor.patch; PostgreSQL numbers its releases major.minor since 10), never
 * `latest` or a bare major. Digests are not required: they cannot be resolved without the registry.
 * @param {string} ref
 */
function pinProblem(ref) {
  if (/@sha256:[0-9a-f]{64}$/.test(ref)) return null;
  const m = /^(?<name>[a-z0-9][a-z0-9._/-]*)(?::(?<tag>[\w.-]+))?$/.exec(ref);
  if (!m?.groups) return `${ref}: not an image reference`;
  const { name, tag } = m.groups;
  if (!tag) return `${ref}: no tag (that is latest)`;
  const parts = name === 'postgres' ? 2 : 3;
  const version = new RegExp(`^\\d+(\\.\\d+){${parts - 1}}(-[a-z][\\w.-]*)?$`);
  return version.test(tag) ? null : `${ref}: tag ${tag} is not a precise version`;
}

/**
 * The programs a command names (`node dist/x.js`, `node stack/y.mjs`; the image's default is dist/main.js)
 * whose source is not in the app the image is built from (rxbridge/<app>: apps/<app>, or tools).
 * @param {string} image @param {string} command
 */
function missingEntries(image, command) {
  const app = /rxbridge\/([a-z-]+)/.exec(image)?.[1] ?? '?';
  const dir = app === 'tools' ? join(root, 'tools') : join(root, 'apps', app);
  const programs = [...(command || 'node dist/main.js').matchAll(/\bnode ([\w/.-]+\.m?js)\b/g)].map(
    (m) => m[1],
  );
  return programs.filter((p) => {
    const source = p.startsWith('dist/')
      ? join(dir, 'src', p.slice(5).replace(/\.js$/, '.ts'))
      : join(dir, p);
    return !existsSync(source);
  });
}

/** @param {K8sObject[]} objects @param {string} kind */
const ofKind = (objects, kind) => objects.filter((o) => o.kind === kind);
/** @param {K8sObject} o */
const podSpec = (o) => o.spec.template.spec;

describe('Kubernetes manifests (k8s/)', () => {
  it('has a staging and a production overlay', () => {
    expect(overlays()).toEqual(expect.arrayContaining(['production', 'staging']));
  });

  describe.each(overlays())('overlay %s', (overlay) => {
    const objects = rendered[overlay];

    it('renders, and every object is valid against the Kubernetes (and KEDA) schemas', async () => {
      expect(objects.length).toBeGreaterThan(20);
      expect(await schemaProblems(objects)).toEqual([]);
    });

    it('has a Deployment, a Service and a PodDisruptionBudget per service', () => {
      for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget'])
        expect(
          ofKind(objects, kind)
            .map((o) => o.metadata.name)
            .sort(),
        ).toEqual([...SERVICES].sort());
    });

    it('runs every pod unprivileged: non-root, read-only root, no escalation, no capabilities, seccomp', () => {
      for (const o of [...ofKind(objects, 'Deployment'), ...ofKind(objects, 'Job')]) {
        const spec = podSpec(o);
        expect([o.metadata.name, spec.securityContext]).toEqual([
          o.metadata.name,
          expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }),
        ]);
        expect(spec.automountServiceAccountToken).toBe(false);
        for (const c of spec.containers) {
          expect([o.metadata.name, c.securityContext]).toEqual([
            o.metadata.name,
            {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              privileged: false,
              capabilities: { drop: ['ALL'] },
            },
          ]);
          expect(c.resources.requests).toEqual({ cpu: expect.anything(), memory: expect.anything() });
          expect(c.resources.limits).toEqual({ cpu: expect.anything(), memory: expect.anything() });
          // images come from the overlay, pinned
          expect(c.image).toMatch(/^registry\.example\/rxbridge\/[a-z-]+:\d+\.\d+\.\d+$/);
        }
      }
    });

    it('probes the health endpoints, spreads pods, and gives them longer to stop than they drain', () => {
      for (const d of ofKind(objects, 'Deployment')) {
        const spec = podSpec(d);
        const [c] = spec.containers;
        expect(c.startupProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
        expect(c.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
        expect(c.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
        expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(DRAIN_SECONDS);
        expect(spec.topologySpreadConstraints.map((t) => t.topologyKey)).toEqual(
          expect.arrayContaining(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']),
        );
        for (const t of spec.topologySpreadConstraints)
          expect(t.labelSelector.matchLabels['app.kubernetes.io/name']).toBe(d.metadata.name);
      }
    });

    it('holds no Secret values: secrets are referenced by name only', () => {
      expect(ofKind(objects, 'Secret')).toEqual([]);
      const text = JSON.stringify(objects);
      for (const name of [
        'GATEWAY_WEBHOOK_SECRETS',
        'PATIENT_DATA_KEYS',
        'RXSCALE_API_KEY',
        'HTTP_API_TOKENS',
      ])
        expect(text).not.toContain(name);
      for (const cm of ofKind(objects, 'ConfigMap'))
        expect(Object.keys(cm.data).filter((k) => /SECRET|KEY|TOKEN|PASSWORD|DATABASE_URL/.test(k))).toEqual(
          [],
        );
    });

    it('lets only the webhook path in from outside, and nothing else into a pod without a policy', () => {
      const ingresses = ofKind(objects, 'Ingress');
      expect(ingresses).toHaveLength(1);
      const paths = ingresses[0].spec.rules.flatMap((r) => r.http.paths);
      expect(paths).toEqual([
        {
          path: '/webhooks/rxscale',
          pathType: 'Prefix',
          backend: { service: { name: 'gateway', port: { name: 'http' } } },
        },
      ]);
      const policies = ofKind(objects, 'NetworkPolicy');
      const denyAll = policies.find((p) => p.metadata.name === 'default-deny-ingress');
      expect(denyAll.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
      for (const p of policies.filter((x) => x !== denyAll))
        for (const rule of p.spec.ingress) expect(rule.ports).toEqual([{ port: 'http' }]);
    });

    it('autoscales the gateway, and runs topic provisioning and each migration as a Job', () => {
      const [hpa] = ofKind(objects, 'HorizontalPodAutoscaler');
      expect(hpa.spec.scaleTargetRef.name).toBe('gateway');
      expect(
        ofKind(objects, 'Job')
          .map((j) => j.metadata.name)
          .sort(),
      ).toEqual([
        'inventory-service-migrate',
        'order-service-migrate',
        'provision-topics',
        'shipping-service-migrate',
      ]);
      for (const j of ofKind(objects, 'Job')) expect(podSpec(j).restartPolicy).toBe('OnFailure');
    });

    it('runs only programs its images hold', () => {
      for (const o of [...ofKind(objects, 'Deployment'), ...ofKind(objects, 'Job')])
        for (const c of podSpec(o).containers)
          expect([o.metadata.name, missingEntries(c.image, (c.command ?? []).join(' '))]).toEqual([
            o.metadata.name,
            [],
          ]);
    });
  });

  it('scales each consumer on its lag in production (KEDA), never beyond its topic partitions', () => {
    const scaled = ofKind(rendered.production, 'ScaledObject');
    expect(scaled.map((s) => s.spec.scaleTargetRef.name).sort()).toEqual([
      'inventory-service',
      'order-service',
      'shipping-service',
    ]);
    for (const s of scaled) {
      const [trigger] = s.spec.triggers;
      expect(trigger.type).toBe('kafka');
      const group = trigger.metadata.consumerGroup;
      expect(Object.values(ConsumerGroups)).toContain(group);
      const consumed = allTopics().filter((t) => t.consumerGroups.includes(group));
      expect(consumed.length).toBeGreaterThan(0);
      expect(s.spec.maxReplicaCount).toBeLessThanOrEqual(Math.max(...consumed.map((t) => t.partitions)));
    }
    expect(ofKind(rendered.staging, 'ScaledObject')).toEqual([]);
  });

  it('reports a broken manifest: an invalid field, an unknown kind, a kustomization that does not build', async () => {
    const [deployment] = ofKind(rendered.production, 'Deployment');
    const broken = structuredClone(deployment);
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(await schemaProblems([broken])).toEqual([
      expect.stringMatching(/^Deployment\/\S+: .*containerPort must be integer/),
    ]);
    expect(
      await schemaProblems([{ apiVersion: 'apps/v1', kind: 'Deployement', metadata: { name: 'x' } }]),
    ).toEqual(['Deployement/x: no schema for apps/v1 Deployement']);
    const dir = mkdtempSync(join(tmpdir(), 'rxbridge-kustomize-'));
    try {
      writeFileSync(join(dir, 'kustomization.yaml'), 'resources:\n  - missing.yaml\n');
      expect(() => render(dir)).toThrow(/kustomize build .* failed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docker-compose.yml', () => {
  const compose = readCompose();

  it('is valid against the Compose Specification schema', async () => {
    expect(await composeProblems(compose)).toEqual([]);
  });

  it('runs the whole system: broker, database, one-shots, and every part npm start runs', async () => {
    const parts = stackApps({ credentials: await mintStackCredentials() }).map((a) => a.name);
    // a part with a migration entry (src/migrate.ts) gets a one-shot that migrates before it starts
    const migrating = parts.filter((p) => existsSync(join(root, 'apps', p, 'src', 'migrate.ts')));
    expect(migrating.sort()).toEqual(['inventory-service', 'order-service', 'shipping-service']);
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        // what npm start runs before the parts: the broker and the database (startInfrastructure), then
        // topics, credentials and webhook subscriptions (setup)
        'kafka',
        'postgres',
        'setup',
        ...migrating.map((p) => `migrate-${p}`),
        ...parts,
      ].sort(),
    );
    for (const name of [...SERVICES, 'simulator']) {
      const s = compose.services[name];
      expect([name, s.read_only, s.cap_drop]).toEqual([name, true, ['ALL']]);
    }
    // published ports only on the loopback address
    for (const s of Object.values(compose.services))
      for (const p of s.ports ?? []) expect(p).toMatch(/^127\.0\.0\.1:/);
  });

  it('runs only programs its images hold', () => {
    for (const [name, s] of Object.entries(compose.services))
      if (s.image.startsWith('rxbridge/'))
        expect([name, missingEntries(s.image, [s.command ?? []].flat().join(' '))]).toEqual([name, []]);
  });

  it('pins every image to a precise version; its own images (rxbridge/*) are built by compose', () => {
    const built = new Set(
      Object.values(compose.services)
        .filter((s) => s.build)
        .map((s) => s.image),
    );
    for (const [name, s] of Object.entries(compose.services)) {
      expect([name, s.image]).toEqual([name, expect.any(String)]);
      if (s.image.startsWith('rxbridge/')) expect([name, built.has(s.image)]).toEqual([name, true]);
      else expect([name, pinProblem(s.image)]).toEqual([name, null]);
    }
  });

  it('reports a broken file', async () => {
    const broken = structuredClone(compose);
    broken.services.gateway.ports = ['not-a-port'];
    broken.services.kafka.restart = 7;
    const problems = await composeProblems(broken);
    expect(problems).toContain('/services/kafka/restart must be string');
    expect(problems).toContain('/services/gateway/ports/0 must match format "ports"');
  });
});

describe('a pinned image reference', () => {
  it('names a whole version or a digest, never a floating tag', () => {
    for (const ref of [
      'postgres:15.18-bookworm',
      'postgres:15.18',
      'node:20.20.2-bookworm-slim',
      'apache/kafka:4.4.0',
      `node@sha256:${'a'.repeat(64)}`,
    ])
      expect([ref, pinProblem(ref)]).toEqual([ref, null]);
    for (const ref of [
      'postgres:15',
      'postgres',
      'node:20.19-bookworm-slim',
      'node:20-slim',
      'apache/kafka:latest',
      'apache/kafka',
    ])
      expect([ref, pinProblem(ref)]).toEqual([ref, expect.stringContaining(ref)]);
  });
});

describe('Dockerfile', () => {
  const dockerfile = DockerfileParser.parse(readFileSync(join(root, 'Dockerfile'), 'utf8'));
  const instructions = dockerfile.getInstructions().map((i) => ({
    keyword: i.getKeyword(),
    args: i.getArgumentsContent() ?? '',
    text: i.getTextContent(),
  }));
  const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

  it('builds with the pnpm and turbo the workspace pins', () => {
    const install = instructions.find((i) => i.keyword === 'RUN' && i.args.includes('npm install -g'));
    expect(install?.args).toContain(rootPackage.packageManager);
    expect(install?.args).toContain(`turbo@${rootPackage.devDependencies.turbo}`);
  });

  it("prunes to the app's workspace and deploys production dependencies only", () => {
    const runs = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.join('\n')).toMatch(/turbo prune "@rxbridge\/\$\{APP\}" --docker/);
    expect(runs.join('\n')).toMatch(/deploy --prod/);
  });

  it('builds every stage FROM an earlier stage or an image pinned to a precise version', () => {
    // ARGs before the first FROM are the only ones a FROM line can use
    const firstFrom = instructions.findIndex((i) => i.keyword === 'FROM');
    /** @type {Record<string, string>} */
    const args = {};
    for (const i of instructions.slice(0, firstFrom).filter((x) => x.keyword === 'ARG')) {
      const [k, v] = i.args.split('=');
      if (k && v !== undefined) args[k] = v;
    }
    const stages = new Set();
    const froms = dockerfile.getFROMs();
    expect(froms.length).toBeGreaterThan(1);
    for (const from of froms) {
      const image = (from.getImage() ?? '').replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args[a ?? b] ?? '');
      if (!stages.has(image)) expect([from.getImage(), pinProblem(image)]).toEqual([from.getImage(), null]);
      const stage = from.getBuildStage();
      if (stage) stages.add(stage);
    }
  });

  it('runs the final stage as an unprivileged user under tini, with a healthcheck', () => {
    const froms = dockerfile.getFROMs();
    const last = froms[froms.length - 1];
    const finalStage = instructions.slice(
      instructions.findIndex((i) => i.keyword === 'FROM' && i.args.endsWith(`AS ${last.getBuildStage()}`)),
    );
    const user = finalStage.filter((i) => i.keyword === 'USER').pop();
    expect(user?.args).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    expect(finalStage.find((i) => i.keyword === 'ENTRYPOINT')?.args).toContain('tini');
    expect(finalStage.find((i) => i.keyword === 'HEALTHCHECK')?.args).toContain('/health/live');
    // nothing from the build stage's toolchain: only the deployed app is copied in
    expect(finalStage.filter((i) => i.keyword === 'COPY').map((i) => i.text)).toEqual([
      'COPY --from=build /app ./',
    ]);
  });
});
