import { type ErrorCode } from '@rxbridge/contracts';
import {
  PostgresRateBudget,
  RxScaleClient,
  type RateBudget,
  type RateLimits,
  type RxScaleClientOptions,
} from '@rxbridge/rxscale-client';
import type pg from 'pg';
import { PermanentError } from '../kafka/failure.js';
import {
  rxscaleBudgetBucket,
  sourceProblems,
  type RxscaleSourceConfig,
  type RxscaleSourcesConfig,
} from '../config/rxscale-sources-config.js';

/**
 * rxscale_sources_invalid: the configuration breaks a rule (pharmacy in two sources, single key without
 * exactly one pharmacy). pharmacy_without_source: a pharmacy the deployment serves, or a command names,
 * belongs to no source.
 */
export type RxscaleSourceErrorCode = Extract<
  ErrorCode,
  'rxscale_sources_invalid' | 'pharmacy_without_source'
>;

/** Permanent: another attempt resolves the same pharmacy to the same nothing. */
export class RxscaleSourceError extends PermanentError {
  constructor(
    override readonly code: RxscaleSourceErrorCode,
    message: string,
  ) {
    super(message, code);
    this.name = 'RxscaleSourceError';
  }
}

export interface RxscaleSource {
  name: string;
  scope: RxscaleSourceConfig['scope'];
  /** Empty: every pharmacy (the single group key of a one-source deployment). */
  pharmacies: readonly string[];
  /** The rate-budget bucket this source's calls take tokens from. */
  bucket: string;
  client: RxScaleClient;
}

export interface RxscaleSourcesOptions {
  /**
   * Each source's rate budget. Default: a PostgresRateBudget per source in `pool`'s database, bucket
   * `rxscaleBudgetBucket(name)`, so every replica of every service using one key shares that key's budget.
   */
  createBudget?: (bucket: string, source: RxscaleSourceConfig) => Promise<RateBudget>;
  /** For the default budgets: the pool (left open on close) and the budget's schema and limits. */
  pool?: pg.Pool;
  budgetSchema?: string;
  rateLimits?: RateLimits;
  /** Client options every source shares (hooks, timeouts, retries, context headers, user agent). */
  client?: Omit<RxScaleClientOptions, 'baseUrl' | 'apiKey' | 'keyScope' | 'pharmacyUid' | 'budget'>;
  /**
   * Pharmacies this deployment serves: each must belong to a source, else `create` fails
   * (pharmacy_without_source), so a missing key is found at start and not at the first order. Give
   * `{ uid, namedBy }` for a pharmacy the service's own config names, so the message says which variable.
   */
  pharmacies?: readonly (string | { uid: string; namedBy: string })[];
}

/**
 * The RxScale client for each pharmacy, built once from config (DESIGN.md §6): one RxScaleClient per source
 * (API key), each with its own budget bucket. A group key's client needs `pharmacyUid` on each call; a
 * single-pharmacy key's client is bound to its pharmacy.
 */
export class RxscaleSources {
  private readonly byPharmacy = new Map<string, RxscaleSource>();
  /** The catch-all source (a single group key without a pharmacy list), if any. */
  private readonly anyPharmacy: RxscaleSource | undefined;

  private constructor(
    private readonly all: readonly RxscaleSource[],
    private readonly budgets: readonly RateBudget[],
  ) {
    for (const source of all) for (const uid of source.pharmacies) this.byPharmacy.set(uid, source);
    this.anyPharmacy = all.length === 1 && all[0]!.pharmacies.length === 0 ? all[0] : undefined;
  }

  static async create(
    config: RxscaleSourcesConfig,
    options: RxscaleSourcesOptions = {},
  ): Promise<RxscaleSources> {
    const problems = sourceProblems(config.sources);
    if (config.sources.length === 0) problems.push({ path: [], message: 'no source' });
    if (new Set(config.sources.map((s) => s.name)).size !== config.sources.length)
      problems.push({ path: [], message: 'two sources share a name' });
    if (problems.length > 0)
      throw new RxscaleSourceError(
        'rxscale_sources_invalid',
        `invalid RxScale sources: ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`,
      );
    RxscaleSources.assertServes(config, options.pharmacies ?? []);
    const createBudget =
      options.createBudget ??
      ((bucket: string) => {
        if (!options.pool)
          throw new RangeError('RxscaleSources needs a pg pool or createBudget for the rate budgets');
        return PostgresRateBudget.create({
          pool: options.pool,
          bucket,
          ...(options.budgetSchema ? { schema: options.budgetSchema } : {}),
          ...options.rateLimits,
        });
      });
    const budgets: RateBudget[] = [];
    const sources: RxscaleSource[] = [];
    try {
      for (const config_ of config.sources) {
        const bucket = rxscaleBudgetBucket(config_.name);
        const budget = await createBudget(bucket, config_);
        budgets.push(budget);
        sources.push({
          name: config_.name,
          scope: config_.scope,
          pharmacies: [...config_.pharmacies],
          bucket,
          client: new RxScaleClient({
            ...options.client,
            baseUrl: config_.baseUrl,
            apiKey: config_.apiKey,
            keyScope: config_.scope,
            ...(config_.scope === 'pharmacy' ? { pharmacyUid: config_.pharmacies[0]! } : {}),
            budget,
          }),
        });
      }
    } catch (error) {
      await Promise.all(budgets.map((b) => b.close().catch(() => undefined)));
      throw error;
    }
    const resolver = new RxscaleSources(sources, budgets);
    return resolver;
  }

  /**
   * Throws pharmacy_without_source when a listed pharmacy belongs to no source (as `sourceOf` resolves it);
   * `create` runs it first. Pure: a service calls it before it connects anything, so a bad config changes
   * nothing (no schema, no budget row).
   */
  static assertServes(
    config: RxscaleSourcesConfig,
    pharmacies: NonNullable<RxscaleSourcesOptions['pharmacies']>,
  ): void {
    const catchAll = config.sources.length === 1 && config.sources[0]!.pharmacies.length === 0;
    const served = new Set(config.sources.flatMap((s) => s.pharmacies));
    const orphans = pharmacies
      .map((p) => (typeof p === 'string' ? { uid: p, namedBy: undefined } : p))
      .filter((p) => !catchAll && !served.has(p.uid));
    if (orphans.length === 0) return;
    const named = orphans.map((p) => `"${p.uid}"${p.namedBy ? ` (named in ${p.namedBy})` : ''}`);
    throw new RxscaleSourceError(
      'pharmacy_without_source',
      `no RxScale source for pharmacy ${named.join(', ')}: add it to one source's pharmacies in RXSCALE_SOURCES`,
    );
  }

  sources(): readonly RxscaleSource[] {
    return this.all;
  }

  /** The source a pharmacy's calls go through, or undefined. */
  sourceOf(pharmacyUid: string): RxscaleSource | undefined {
    return this.byPharmacy.get(pharmacyUid) ?? this.anyPharmacy;
  }

  /** The client of the pharmacy's source; throws pharmacy_without_source when it has none. */
  clientFor(pharmacyUid: string): RxScaleClient {
    const source = this.sourceOf(pharmacyUid);
    if (!source)
      throw new RxscaleSourceError(
        'pharmacy_without_source',
        `no RxScale source for pharmacy "${pharmacyUid}"`,
      );
    return source.client;
  }

  /** Closes the clients and the budgets this resolver created (a caller's `pool` stays open). */
  async close(): Promise<void> {
    await Promise.all(this.all.map((s) => s.client.close()));
    await Promise.all(this.budgets.map((b) => b.close()));
  }
}
