import { Controller, Get, Header, Inject, Module, type DynamicModule } from '@nestjs/common';
import { prometheusContentType } from 'prom-client';
import { ServiceMetrics } from './service-metrics.js';

/** GET /metrics in the Prometheus text format. */
@Controller()
export class MetricsController {
  constructor(@Inject(ServiceMetrics) private readonly metrics: ServiceMetrics) {}

  @Get('metrics')
  @Header('Content-Type', prometheusContentType)
  async scrape(): Promise<string> {
    return (await this.metrics.render()).body;
  }
}

@Module({})
export class MetricsModule {
  /**
   * Serves /metrics and makes the service's one ServiceMetrics injectable everywhere (global), so the
   * consumer runtime, the outbox relay and the RxScale client record into the same registry.
   */
  static forRoot(metrics: ServiceMetrics): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: [MetricsController],
      providers: [{ provide: ServiceMetrics, useValue: metrics }],
      exports: [ServiceMetrics],
    };
  }
}
