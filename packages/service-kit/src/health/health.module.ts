import {
  Controller,
  Get,
  Inject,
  Module,
  ServiceUnavailableException,
  type DynamicModule,
} from '@nestjs/common';
import { checkReadiness, type HealthCheck, type ReadinessReport } from './health-checks.js';

export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');

/**
 * GET /health/live: the process runs (no dependency is checked: a database outage must not get every pod
 * restarted). GET /health/ready: every registered check passes, else 503 with the report naming the failed one.
 */
@Controller('health')
export class HealthController {
  constructor(@Inject(HEALTH_CHECKS) private readonly checks: HealthCheck[]) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(): Promise<ReadinessReport> {
    const report = await checkReadiness(this.checks);
    if (report.status !== 'ok') throw new ServiceUnavailableException(report);
    return report;
  }
}

@Module({})
export class HealthModule {
  /**
   * `HealthModule.forRoot([databaseHealthCheck(dataSource), kafkaHealthCheck(config.kafka)])`, or
   * `HealthModule.forRoot({ useFactory: (ds: DataSource) => [databaseHealthCheck(ds)], inject: [DataSource] })`.
   */
  static forRoot(
    checks:
      | HealthCheck[]
      | {
          useFactory: (...deps: never[]) => HealthCheck[];
          inject?: (string | symbol | (abstract new (...args: never[]) => unknown))[];
        },
  ): DynamicModule {
    const provider = Array.isArray(checks)
      ? { provide: HEALTH_CHECKS, useValue: checks }
      : { provide: HEALTH_CHECKS, useFactory: checks.useFactory, inject: checks.inject ?? [] };
    return { module: HealthModule, controllers: [HealthController], providers: [provider] };
  }
}
