import { type BeforeApplicationShutdown, Controller, Get, Inject, Injectable, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService, type HealthIndicatorFunction } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { checkReadiness, type HealthCheck } from '../health/health-checks.js';
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

/**
 * GET /health/live: the process answers (no dependency checked: a database outage must not get every pod
 * restarted). GET /health/ready: every check passes and the pod is not shutting down, else 503 with
 * terminus' report naming what failed (messages without credentials, see checkReadiness).
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
    await this.answer(reply, [shutdown, ...this.checks.map((c) => this.indicator(c))]);
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

  private async answer(reply: FastifyReply, indicators: HealthIndicatorFunction[]): Promise<void> {
    try {
      await reply.code(200).send(await this.health.check(indicators));
    } catch (error) {
      // terminus throws a ServiceUnavailableException carrying the report
      const report = (error as { getResponse?: () => unknown }).getResponse?.();
      if (report === undefined) throw error;
      await reply.code(503).send(report);
    }
  }
}
