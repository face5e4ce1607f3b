import { Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { WebhookIngestService } from './webhook-ingest.service.js';

export const DEFAULT_SOURCE = 'default';

/** RxScale's deliveries: one path per source (an RxScale API key with its own subscriptions and secrets). */
@Controller('webhooks')
export class WebhookController {
  constructor(
    private readonly ingest: WebhookIngestService,
    private readonly metrics: GatewayMetrics,
  ) {}

  @Post(['rxscale', 'rxscale/:source'])
  @HttpCode(200)
  async receive(
    @Param('source') source: string | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const answer = await this.ingest.ingest({
      source: source ?? DEFAULT_SOURCE,
      // The JSON content-type parser keeps the exact bytes (gateway-app.ts); an empty body arrives as undefined.
      rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      eventTypeHeader: header(req, 'x-webhook-event'),
      signatureHeader: header(req, 'x-webhook-signature'),
      traceHeaders: { traceparent: header(req, 'traceparent'), correlationid: header(req, 'correlationid') },
      receivedAt: new Date(),
    });
    this.metrics.outcome(answer.outcome);
    if (answer.headers) void reply.headers(answer.headers);
    await reply.code(answer.status).send(answer.body);
  }
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
