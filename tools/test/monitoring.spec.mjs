// The monitoring component (k8s/components/monitoring): the Grafana dashboard and the alerts read only
// metrics and labels the services register, every alert has its runbook entry in docs/operations.md, and
// the component renders into valid objects.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { render, root, schemaProblems } from '../deploy/manifests.mjs';
import {
  DASHBOARD_FILE,
  EXTERNAL_METRICS,
  MONITORING_DIR,
  dashboardExpressions,
  headingAnchor,
  promqlProblems,
  readDashboard,
  readRules,
  sourceMetrics,
} from '../deploy/monitoring.mjs';

const metrics = sourceMetrics();
const dashboard = readDashboard();
const rules = readRules().spec.groups.flatMap((/** @type {any} */ g) => g.rules);
const operations = readFileSync(join(root, 'docs', 'operations.md'), 'utf8');

/** The metric names an expression names (series selectors), for the coverage checks. */
const namesIn = (/** @type {string} */ expr) =>
  [...expr.matchAll(/\b(rxbridge_[a-z_]+|up|kube_[a-z_]+)\b/g)].map((m) => m[1]);

describe('the metric names the services register (read from their sources)', () => {
  it('finds the kit, gateway and service metrics, with their types and labels', () => {
    expect(metrics.size).toBeGreaterThan(30);
    expect(metrics.get('rxbridge_consumer_lag')).toEqual({
      type: 'gauge',
      labels: ['topic', 'group', 'partition'],
      file: 'packages/service-kit/src/metrics/service-metrics.ts',
    });
    expect(metrics.get('rxbridge_gateway_webhook_requests_total')).toMatchObject({
      type: 'counter',
      labels: ['outcome'],
    });
    expect(metrics.get('rxbridge_orders')).toMatchObject({ type: 'gauge', labels: ['state', 'pharmacy'] });
    expect(metrics.get('rxbridge_http_request_duration_seconds')).toMatchObject({ type: 'histogram' });
  });

  it('catches a typo in a metric or label, a grouping label nobody has, rate() of a gauge, broken syntax', () => {
    const problems = (/** @type {string} */ e) => promqlProblems(e, metrics);
    expect(problems('sum by (group) (rxbridge_consumer_lag)')).toEqual([]);
    expect(problems('rxbridge_consumer_lags')).toEqual(['unknown metric rxbridge_consumer_lags']);
    expect(problems('rxbridge_consumer_lag{grop="x"}')).toEqual(['rxbridge_consumer_lag has no label grop']);
    expect(problems('sum by (grup) (rxbridge_consumer_lag)')).toEqual([
      'no metric of the expression has the label grup',
    ]);
    expect(problems('rate(rxbridge_consumer_lag[5m])')).toEqual(['rate() of rxbridge_consumer_lag, a gauge']);
    expect(problems('histogram_quantile(0.9, rate(rxbridge_orders_bucket[5m]))')).toEqual([
      'unknown metric rxbridge_orders_bucket',
    ]);
    expect(problems('sum(rate(rxbridge_records_handled_total[5m])')).toEqual([
      expect.stringMatching(/^syntax error/),
    ]);
    // a histogram's series, Grafana's interval variables and the scrape's target labels are known
    expect(
      problems(
        'histogram_quantile(0.99, sum by (le, pod) (rate(rxbridge_gateway_produce_seconds_bucket{namespace="$namespace"}[$__rate_interval])))',
      ),
    ).toEqual([]);
  });
});

describe('the Grafana dashboard (k8s/components/monitoring/grafana/rxbridge.json)', () => {
  const panels = dashboard.panels.filter((/** @type {any} */ p) => p.type !== 'row');

  it('is a dashboard with a Prometheus data source and a namespace to choose', () => {
    expect(dashboard).toMatchObject({
      title: 'RxBridge',
      uid: 'rxbridge',
      schemaVersion: expect.any(Number),
    });
    expect(dashboard.templating.list.map((/** @type {any} */ v) => [v.name, v.type])).toEqual([
      ['datasource', 'datasource'],
      ['namespace', 'query'],
    ]);
    const ids = dashboard.panels.map((/** @type {any} */ p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives every panel a title, a place on the grid and at least one query, on the chosen namespace', () => {
    expect(panels.length).toBeGreaterThan(20);
    for (const p of panels) {
      expect([p.title, p.datasource]).toEqual([
        expect.any(String),
        { type: 'prometheus', uid: '${datasource}' },
      ]);
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      expect([p.title, p.targets.length]).toEqual([p.title, expect.any(Number)]);
      expect(p.targets.length).toBeGreaterThan(0);
      for (const t of p.targets) {
        expect([p.title, typeof t.expr, t.expr.length > 0]).toEqual([p.title, 'string', true]);
        expect([p.title, t.expr]).toEqual([p.title, expect.stringContaining('namespace="$namespace"')]);
      }
    }
  });

  it('queries only metrics and labels the services register', () => {
    const problems = dashboardExpressions(dashboard)
      .map(({ where, expr }) => ({ where, problems: promqlProblems(expr, metrics) }))
      .filter((x) => x.problems.length > 0);
    expect(problems).toEqual([]);
  });

  it('shows webhooks by outcome, lag, outbox age, RxScale calls, budget and 429s, dead letters, orders, drift', () => {
    const used = new Set(dashboardExpressions(dashboard).flatMap(({ expr }) => namesIn(expr)));
    for (const name of [
      'rxbridge_gateway_webhook_requests_total',
      'rxbridge_consumer_lag',
      'rxbridge_outbox_oldest_age_seconds',
      'rxbridge_rxscale_calls_total',
      'rxbridge_rxscale_commands_total',
      'rxbridge_records_dead_lettered_total',
      'rxbridge_orders',
      'rxbridge_inventory_stock_disagreements_total',
      'rxbridge_shipments',
    ])
      expect([name, used.has(name)]).toEqual([name, true]);
    const titles = panels.map((/** @type {any} */ p) => p.title).join('\n');
    expect(titles).toMatch(/budget/i);
    expect(titles).toMatch(/429/);
  });
});

describe('the alerts (k8s/components/monitoring/prometheus-rules.yaml)', () => {
  const headings = [...operations.matchAll(/^### (.+)$/gm)].map((m) => (m[1] ?? '').trim());

  it('are uniquely named, with a severity, a summary and a description', () => {
    const names = rules.map((/** @type {any} */ r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(10);
    for (const r of rules) {
      expect([r.alert, r.labels.severity]).toEqual([r.alert, expect.stringMatching(/^(critical|warning)$/)]);
      expect([r.alert, r.annotations]).toEqual([
        r.alert,
        expect.objectContaining({ summary: expect.any(String), description: expect.any(String) }),
      ]);
    }
  });

  it('read only metrics and labels the services register (or the listed outside exporters)', () => {
    const problems = rules
      .map((/** @type {any} */ r) => ({ alert: r.alert, problems: promqlProblems(r.expr, metrics) }))
      .filter((/** @type {any} */ x) => x.problems.length > 0);
    expect(problems).toEqual([]);
    // every outside metric listed is used: the list holds no stale exception
    const used = new Set(rules.flatMap((/** @type {any} */ r) => namesIn(r.expr)));
    for (const name of Object.keys(EXTERNAL_METRICS)) expect([name, used.has(name)]).toEqual([name, true]);
  });

  it('cover what an operator must act on', () => {
    const watched = (/** @type {string} */ name) =>
      rules
        .filter((/** @type {any} */ r) => namesIn(r.expr).includes(name))
        .map((/** @type {any} */ r) => r.alert);
    for (const name of [
      'rxbridge_gateway_webhook_requests_total',
      'rxbridge_consumer_lag',
      'rxbridge_outbox_oldest_age_seconds',
      'rxbridge_records_dead_lettered_total',
      'rxbridge_rxscale_calls_total',
      'rxbridge_rxscale_commands_total',
      'rxbridge_orders',
      'kube_deployment_status_replicas_unavailable',
    ])
      expect([name, watched(name).length > 0]).toEqual([name, true]);
    const ratelimit = rules.find((/** @type {any} */ r) => r.alert === 'RxBridgeRxScaleRateLimited');
    expect(ratelimit.expr).toContain('status="429"');
    const refused = rules.find((/** @type {any} */ r) => r.alert === 'RxBridgeOrdersRefused');
    expect(refused.expr).toContain('state="refused"');
  });

  it('each name its runbook entry in docs/operations.md, and every entry there is an alert', () => {
    const anchors = new Map(headings.map((h) => [headingAnchor(h), h]));
    for (const r of rules) {
      expect([r.alert, r.annotations.runbook]).toEqual([
        r.alert,
        `docs/operations.md#${headingAnchor(r.alert)}`,
      ]);
      const anchor = r.annotations.runbook.split('#')[1];
      expect([r.alert, anchors.get(anchor)]).toEqual([r.alert, r.alert]);
    }
    const alertSection = operations.slice(operations.indexOf('\n## Alerts'));
    const entries = [...alertSection.matchAll(/^### (.+)$/gm)].map((m) => m[1]);
    expect(entries.sort()).toEqual(rules.map((/** @type {any} */ r) => r.alert).sort());
  });

  it('give every runbook entry what it means, what to check first and how to fix it', () => {
    const alertSection = operations.slice(operations.indexOf('\n## Alerts'));
    const entries = alertSection.split(/^### /m).slice(1);
    for (const entry of entries) {
      const name = entry.split('\n')[0];
      for (const part of ['**Means:**', '**Check first:**', '**Fix:**'])
        expect([name, entry.includes(part)]).toEqual([name, true]);
    }
  });

  it('name only rxbridge CLI commands that exist', () => {
    const dir = join(root, 'packages', 'cli', 'src', 'commands');
    // every command's source, a command's own folder (e.g. webhooks/) included
    const source = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((f) => f.isFile() && f.name.endsWith('.ts'))
      .map((f) => readFileSync(join(f.parentPath, f.name), 'utf8'))
      .join('\n');
    const top = new Set([...source.matchAll(/program\s*\.command\('([a-z-]+)'\)/g)].map((m) => m[1]));
    /** @param {string} command its subcommands: `<command>.command('<sub>')` */
    const subs = (command) =>
      new Set(
        [...source.matchAll(new RegExp(`\\b${command}\\s*\\.command\\('([a-z-]+)'\\)`, 'g'))].map(
          (m) => m[1],
        ),
      );
    const used = [...operations.matchAll(/`(?:npx )?rxbridge ([a-z][a-z-]*)(?:\s([a-z][a-z-]*))?/g)];
    expect(used.length).toBeGreaterThan(10);
    for (const [text, command = '', sub] of used) {
      expect([text, top.has(command)]).toEqual([text, true]);
      const own = subs(command);
      // a command with subcommands is named with one of them; a leaf (health, migrate) with none
      if (own.size > 0) expect([text, own.has(sub ?? '')]).toEqual([text, true]);
      else expect([text, sub]).toEqual([text, undefined]);
    }
  });
});

describe('the monitoring component', () => {
  it('renders onto the base, and every object validates (ServiceMonitor and PrometheusRule against the CRDs)', async () => {
    // the base and the component alone, as an overlay with only this component would render them
    const dir = mkdtempSync(join(tmpdir(), 'rxbridge-monitoring-'));
    try {
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        [
          'resources:',
          `  - ${relative(dir, join(root, 'k8s', 'base'))}`,
          'components:',
          `  - ${relative(dir, MONITORING_DIR)}`,
          '',
        ].join('\n'),
      );
      const objects = render(dir);
      expect(await schemaProblems(objects)).toEqual([]);
      const added = objects.filter((o) => ['ServiceMonitor', 'PrometheusRule'].includes(o.kind));
      expect(added.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
        'PrometheusRule/rxbridge',
        'ServiceMonitor/rxbridge',
      ]);
      // the ServiceMonitor finds every Service, on its http port
      const [monitor] = objects.filter((o) => o.kind === 'ServiceMonitor');
      const services = objects.filter((o) => o.kind === 'Service');
      expect(services.length).toBeGreaterThan(0);
      for (const s of services) {
        expect(s.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
        expect(s.spec.ports.map((/** @type {any} */ p) => p.name)).toContain(monitor.spec.endpoints[0].port);
      }
      // the dashboard as a ConfigMap for Grafana's sidecar, the file as it is
      const [cm] = objects.filter(
        (o) => o.kind === 'ConfigMap' && o.metadata.name === 'rxbridge-grafana-dashboard',
      );
      expect(cm.metadata.labels.grafana_dashboard).toBe('1');
      expect(cm.data['rxbridge.json']).toBe(readFileSync(DASHBOARD_FILE, 'utf8'));
      // the rules as written
      const [rule] = objects.filter((o) => o.kind === 'PrometheusRule');
      expect(rule.spec).toEqual(readRules().spec);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is on in production and off in staging (a cluster without the Prometheus Operator applies the base)', () => {
    const kinds = (/** @type {string} */ overlay) =>
      render(join(root, 'k8s', 'overlays', overlay)).map((/** @type {any} */ o) => o.kind);
    expect(kinds('production')).toEqual(expect.arrayContaining(['ServiceMonitor', 'PrometheusRule']));
    expect(kinds('staging')).not.toContain('PrometheusRule');
    expect(kinds('staging')).not.toContain('ServiceMonitor');
    expect(render(join(root, 'k8s', 'base')).map((o) => o.kind)).not.toContain('PrometheusRule');
  });

  it('reports a rule whose shape the CRD refuses', async () => {
    const broken = structuredClone(readRules());
    broken.spec.groups[0].rules[0].for = '5 minutes';
    delete broken.spec.groups[1].name;
    const problems = await schemaProblems([broken]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^PrometheusRule\/rxbridge: /);
    expect(problems[0]).toContain('rules/0/for must match pattern');
    expect(problems[0]).toContain('groups/1 must have required property name');
  });
});
