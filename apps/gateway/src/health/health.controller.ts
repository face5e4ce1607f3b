import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { KafkaIngestProducer } from '../kafka/kafka-ingest.producer.js';

@Controller('health')
export class HealthController {
  constructor(private readonly producer: KafkaIngestProducer) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready only while the producer is connected and keeping up: otherwise every webhook would get 503. */
  @Get('ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const ok = this.producer.ready;
    await reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready', kafka: ok ? 'connected' : 'unavailable' });
  }
}
