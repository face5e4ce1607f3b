import { type BeforeApplicationShutdown, Controller, Get, Inject, Injectable, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService, type HealthIndicatorFunction } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { checkReadiness, type CheckResult, type HealthCheck } from '../health/health-checks.js';
import { PublicRoute } from './require-scope.decorator.js';

export const SERVICE_HEALTH_CHECKS = Symbol('rxbridge:service-health-checks');
export const SHUTDOWN_DELAY_MS = Symbol('rxbridge:shutdown-delay-ms');

/**
 * Holds the shutdown back for the configured delay, with /health/ready answering 503 meanwhile: Kubernetes
 * removes a terminating pod from its Service's endpoints asynchronously, so requests keep arriving for a
 * few seconds after SIGTERM; they are still served. Nest runs this before it closes the HTTP server.
 */
@Injectable()
export class ShutdownDrain implements BeforeApplicationShutdown {
  private isDraining = false;

  constructor(@Inject(SHUTDOWN_DELAY_MS) private readonly delayMs: number) {}

  get draining(): boolean {
    return this.isDraining;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.isDraining = true;
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
  }
}

/** terminus' report: `info` the indicators up, `error` those down, `details` all of them. */
interface TerminusReport {
  status: string;
  info?: Record<string, unknown>;
  error?: Record<string, unknown>;
  details?: Record<string, unknown>;
}

/**
 * GET /health/live: the process answers (no dependency checked: a database outage must not get every pod
 * restarted). GET /health/ready: every critical check passes and the pod is not shutting down, else 503 with
 * terminus' report naming what failed (messages without credentials, see checkReadiness). A check with
 * `critical: false` (RxScale reachability) is added to `details` (and `info` when up) with `critical: false`,
 * and never turns the answer into a 503 nor appears under `error`.
 */
@ApiExcludeController()
@PublicRoute()
@Controller('health')
export class ServiceHealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(SERVICE_HEALTH_CHECKS) private readonly checks: HealthCheck[],
    @Inject(ShutdownDrain) private readonly drain: ShutdownDrain,
  ) {}

  @Get('live')
  async live(@Res() reply: FastifyReply): Promise<void> {
    await this.answer(reply, []);
  }

  @Get('ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const shutdown: HealthIndicatorFunction = () => {
      const session = this.indicators.check('shutdown');
      return this.drain.draining ? session.down({ message: 'shutting down' }) : session.up();
    };
    const critical = this.checks.filter((c) => c.critical !== false);
    // started together with the critical ones, so the slowest check alone bounds the answer
    const reported = checkReadiness(this.checks.filter((c) => c.critical === false));
    await this.answer(
      reply,
      [shutdown, ...critical.map((c) => this.indicator(c))],
      reported.then((r) => r.checks),
    );
  }

  private indicator(check: HealthCheck): HealthIndicatorFunction {
    return async () => {
      const [result] = (await checkReadiness([check])).checks;
      const session = this.indicators.check(check.name);
      return result!.ok
        ? session.up({ durationMs: result!.durationMs })
        : session.down({ durationMs: result!.durationMs, message: result!.error ?? 'failed' });
    };
  }

  private async answer(
    reply: FastifyReply,
    indicators: HealthIndicatorFunction[],
    reported: Promise<CheckResult[]> = Promise.resolve([]),
  ): Promise<void> {
    let status = 200;
    let report: TerminusReport;
    try {
      report = (await this.health.check(indicators)) as TerminusReport;
    } catch (error) {
      // terminus throws a ServiceUnavailableException carrying the report
      const response = (error as { getResponse?: () => unknown }).getResponse?.();
      if (response === undefined) throw error;
      status = 503;
      report = response as TerminusReport;
    }
    for (const result of await reported) {
      const entry = result.ok
        ? { status: 'up', critical: false, durationMs: result.durationMs }
        : {
            status: 'down',
            critical: false,
            durationMs: result.durationMs,
            message: result.error ?? 'failed',
          };
      report.details = { ...report.details, [result.name]: entry };
      if (result.ok) report.info = { ...report.info, [result.name]: entry };
    }
    await reply.code(status).send(report);
  }
}
