// @ts-check
// Checks the monitoring component (k8s/components/monitoring): every PromQL expression of the alerts and of
// the Grafana dashboard parses (Prometheus' own Lezer grammar, @prometheus-io/lezer-promql), and names only
// metrics and labels that the services register (read from their sources: apps/*/src, packages/*/src) or
// that the few outside exporters listed below provide. The monitoring spec in tools/test runs these.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';

// manifests.mjs imports this module, so the root is found here too
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const MONITORING_DIR = join(root, 'k8s', 'components', 'monitoring');
export const DASHBOARD_FILE = join(MONITORING_DIR, 'grafana', 'rxbridge.json');
export const RULES_FILE = join(MONITORING_DIR, 'prometheus-rules.yaml');

/**
 * @typedef {{ type: 'counter' | 'gauge' | 'histogram' | 'summary', labels: string[], file: string }} MetricInfo
 */

/** Labels every RxBridge series has: ServiceMetrics' default label, and what the ServiceMonitor's scrape adds. */
export const TARGET_LABELS = ['service', 'namespace', 'pod', 'container', 'endpoint', 'job', 'instance'];

/**
 * Metrics the rules read from other exporters, each a commented exception: everything else must be
 * registered by RxBridge's own code.
 * @type {Record<string, MetricInfo>}
 */
export const EXTERNAL_METRICS = {
  // Prometheus itself: 1 when the last scrape of a target answered
  up: { type: 'gauge', labels: [], file: '(Prometheus)' },
  // kube-state-metrics: a Deployment's ready and not-ready replicas (the pods alerts)
  kube_deployment_status_replicas_available: {
    type: 'gauge',
    labels: ['deployment'],
    file: '(kube-state-metrics)',
  },
  kube_deployment_status_replicas_unavailable: {
    type: 'gauge',
    labels: ['deployment'],
    file: '(kube-state-metrics)',
  },
};

/** @param {string} dir @returns {string[]} */
function sourceFiles(dir) {
  /** @type {string[]} */
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts'))
      out.push(path);
  }
  return out;
}

/**
 * Every metric RxBridge's code registers with prom-client (`new Counter({ name: '…', labelNames: […] })`
 * and its Gauge, Histogram and Summary siblings), read from the sources of apps/ and packages/.
 * @returns {Map<string, MetricInfo>}
 */
export function sourceMetrics() {
  /** @type {Map<string, MetricInfo>} */
  const metrics = new Map();
  for (const top of ['apps', 'packages'])
    for (const pkg of readdirSync(join(root, top), { withFileTypes: true })) {
      if (!pkg.isDirectory()) continue;
      let files;
      try {
        files = sourceFiles(join(root, top, pkg.name, 'src'));
      } catch {
        continue;
      }
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/new (Counter|Gauge|Histogram|Summary)\s*\(\s*\{/g)) {
          // the options object, up to its closing brace (they hold no nested braces but `buckets: [...]`)
          const body = text.slice(m.index, text.indexOf('}', m.index + m[0].length));
          const name = /\bname:\s*'([^']+)'/.exec(body)?.[1];
          if (!name) continue;
          const labels = [
            ...(/\blabelNames:\s*\[([^\]]*)\]/.exec(body)?.[1] ?? '').matchAll(/'([^']+)'/g),
          ].map((l) => l[1] ?? '');
          const type = /** @type {MetricInfo['type']} */ ((m[1] ?? '').toLowerCase());
          metrics.set(name, { type, labels, file: file.slice(root.length + 1) });
        }
      }
    }
  return metrics;
}

/** Grafana's interval variables, given a value so the expression parses as Prometheus would see it. */
const GRAFANA_INTERVALS = /\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}/g;

/**
 * What a series name stands for: a registered metric, or a histogram's (summary's) _bucket, _sum or _count.
 * @param {string} name @param {Map<string, MetricInfo>} metrics
 * @returns {{ metric: MetricInfo, counterLike: boolean, extraLabels: string[] } | undefined}
 */
function resolve(name, metrics) {
  const direct = metrics.get(name) ?? EXTERNAL_METRICS[name];
  if (direct) return { metric: direct, counterLike: direct.type === 'counter', extraLabels: [] };
  const m = /^(.+)_(bucket|sum|count)$/.exec(name);
  const base = m?.[1] ? metrics.get(m[1]) : undefined;
  if (!m || !base || (base.type !== 'histogram' && base.type !== 'summary')) return undefined;
  if (m[2] === 'bucket' && base.type !== 'histogram') return undefined;
  return { metric: base, counterLike: true, extraLabels: m[2] === 'bucket' ? ['le'] : [] };
}

/**
 * Every problem of one PromQL expression: a syntax error, a metric no code registers, a label a metric
 * does not have (in a selector, or in `by`/`without`/`on`/`ignoring`), `rate`/`irate`/`increase` of a
 * gauge. Empty when it is sound.
 * @param {string} expr @param {Map<string, MetricInfo>} metrics
 * @returns {string[]}
 */
export function promqlProblems(expr, metrics) {
  const text = expr.replace(GRAFANA_INTERVALS, '5m');
  /** @type {string[]} */
  const problems = [];
  const tree = parser.parse(text);
  /** @type {Set<string>} labels of every metric in the expression */
  const known = new Set(TARGET_LABELS);
  /** @type {string[]} */
  const grouping = [];
  const cursor = tree.cursor();
  do {
    const node = cursor.node;
    if (node.type.isError) {
      problems.push(`syntax error at ${node.from}: "${text.slice(node.from, node.to + 10)}"`);
      continue;
    }
    if (node.name === 'VectorSelector') {
      const id = node.getChild('Identifier');
      const name = id ? text.slice(id.from, id.to) : '';
      const found = resolve(name, metrics);
      if (!found) {
        problems.push(`unknown metric ${name || '(none)'}`);
        continue;
      }
      const labels = new Set([...found.metric.labels, ...found.extraLabels, ...TARGET_LABELS]);
      for (const l of [...found.metric.labels, ...found.extraLabels]) known.add(l);
      const matchers = node.getChild('LabelMatchers');
      for (const matcher of matchers?.getChildren('UnquotedLabelMatcher') ?? []) {
        const label = matcher.getChild('LabelName');
        const labelName = label ? text.slice(label.from, label.to) : '';
        if (!labels.has(labelName)) problems.push(`${name} has no label ${labelName}`);
      }
      // rate, irate and increase count up: of a gauge they mean nothing
      const fn = node.parent?.name === 'MatrixSelector' ? node.parent.parent?.parent : undefined;
      const fnName = fn?.name === 'FunctionCall' ? fn.getChild('FunctionIdentifier') : null;
      const called = fnName ? text.slice(fnName.from, fnName.to) : '';
      if (['rate', 'irate', 'increase'].includes(called) && !found.counterLike)
        problems.push(`${called}() of ${name}, a ${found.metric.type}`);
    }
    if (node.name === 'GroupingLabels')
      for (const label of node.getChildren('LabelName')) grouping.push(text.slice(label.from, label.to));
  } while (cursor.next());
  for (const label of grouping)
    if (!known.has(label)) problems.push(`no metric of the expression has the label ${label}`);
  return problems;
}

/** @returns {Record<string, any>} */
export function readDashboard() {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8'));
}

/** @returns {Record<string, any>} the PrometheusRule object */
export function readRules() {
  return parseYaml(readFileSync(RULES_FILE, 'utf8'));
}

/**
 * The PromQL of a dashboard: every panel target's `expr`, and the selector inside each query variable's
 * `label_values(<selector>, <label>)`, each with where it is.
 * @param {Record<string, any>} dashboard
 * @returns {{ where: string, expr: string }[]}
 */
export function dashboardExpressions(dashboard) {
  /** @type {{ where: string, expr: string }[]} */
  const out = [];
  const panels = (dashboard.panels ?? []).flatMap((/** @type {any} */ p) => [p, ...(p.panels ?? [])]);
  for (const p of panels)
    for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr ?? '' });
  for (const v of dashboard.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    const selector = /^label_values\((.+),\s*\w+\)$/.exec(q ?? '')?.[1];
    out.push({ where: `variable ${v.name}`, expr: selector ?? `(not label_values: ${q})` });
  }
  return out;
}

/**
 * GitHub's anchor of a Markdown heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`.
 * @param {string} heading
 */
export function headingAnchor(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every problem of the dashboard's and the alerts' expressions, as `<where>: <problem>` lines. */
export function monitoringProblems() {
  const metrics = sourceMetrics();
  const rules = readRules().spec.groups.flatMap((/** @type {any} */ g) => g.rules);
  return [
    ...dashboardExpressions(readDashboard()).map(({ where, expr }) => ({
      where: `dashboard ${where}`,
      expr,
    })),
    ...rules.map((/** @type {any} */ r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
  ].flatMap(({ where, expr }) => promqlProblems(expr, metrics).map((p) => `${where}: ${p}`));
}
