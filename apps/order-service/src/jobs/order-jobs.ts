import { type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { type IntervalJob } from '@rxbridge/service-kit';

/** The service's schedules: started with the app, stopped (waiting for a run in progress) before it closes. */
export class OrderJobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    readonly safetyNet: IntervalJob,
    readonly retention: IntervalJob,
    private readonly autostart: boolean,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.autostart) return;
    this.safetyNet.start();
    this.retention.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.safetyNet.stop(), this.retention.stop()]);
  }
}
