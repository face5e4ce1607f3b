import { Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { RequireScope, ZodResponse, type IntervalJobRun } from '@rxbridge/service-kit';
import { OrderJobs } from '../jobs/order-jobs.js';
import { JobRunOut } from './order.schemas.js';

/** Operator routes: run a schedule now and answer its summary (the operations CLI calls these). */
@Controller('operations')
export class OperationsController {
  constructor(@Inject(OrderJobs) private readonly jobs: OrderJobs) {}

  @Post('safety-net')
  @HttpCode(200)
  @RequireScope('operator')
  @ZodResponse(200, JobRunOut, 'The safety net ran: pharmacies, orders listed, found, failed')
  async safetyNet() {
    return runOut('order-safety-net', await this.jobs.safetyNet.runNow());
  }

  @Post('retention')
  @HttpCode(200)
  @RequireScope('operator')
  @ZodResponse(200, JobRunOut, 'The patient-data retention ran: how many orders it cleared')
  async retention() {
    return runOut('patient-data-retention', await this.jobs.retention.runNow());
  }
}

function runOut(job: string, run: IntervalJobRun) {
  return {
    job,
    ok: run.ok,
    started_at: run.startedAt.toISOString(),
    duration_ms: run.durationMs,
    summary: run.summary ?? null,
    error: run.error ?? null,
  };
}
