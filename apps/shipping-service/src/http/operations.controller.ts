import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiError, RequireScope, ZodResponse } from '@rxbridge/service-kit';
import { z } from 'zod';
import { AddressRetentionJob } from '../jobs/address-retention.job.js';

const JobRunView = z.object({
  job: z.string(),
  started_at: z.string(),
  duration_ms: z.number(),
  ok: z.boolean(),
  summary: z.record(z.string(), z.unknown()).nullable(),
});

/** Operator routes: run a schedule now (the operations CLI calls these instead of a second implementation). */
@Controller('operations')
export class OperationsController {
  constructor(private readonly retention: AddressRetentionJob) {}

  @Post('retention')
  @HttpCode(200)
  @RequireScope('operator')
  @ZodResponse(200, JobRunView, 'The retention run: how many delivery addresses were purged')
  async runRetention(): Promise<z.infer<typeof JobRunView>> {
    const run = await this.retention.runNow();
    // the job logged the failure by its error class; the caller learns it failed and may retry
    if (!run.ok) throw new ApiError(503, 'job_failed', 'the retention run failed; it may be retried');
    return {
      job: 'address-retention',
      started_at: run.startedAt.toISOString(),
      duration_ms: run.durationMs,
      ok: run.ok,
      summary: run.summary ?? null,
    };
  }
}
