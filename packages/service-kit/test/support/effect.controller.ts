import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { type CloudEvent } from '@rxbridge/contracts';
import { OnEvent, PermanentError, PlumbingContext, TransientError } from '../../src/index.js';
import { type EffectData } from './plumbing-harness.js';

/** The test service: writes one `effect` row per event, and fails on demand. */
@Controller()
export class EffectController {
  @OnEvent('test.effect')
  async apply(@Payload() event: CloudEvent, @Ctx() ctx: PlumbingContext): Promise<void> {
    const data = event.data as EffectData;
    const refused = await ctx.manager.query<unknown[]>('SELECT 1 FROM refuse WHERE event_id = $1', [
      event.id,
    ]);
    if (data.refuse || refused.length > 0) throw new PermanentError('transition refused', 'REFUSED');
    if (data.failUntilAttempt && ctx.record.attempt < data.failUntilAttempt) {
      throw new TransientError(`simulated outage on attempt ${ctx.record.attempt}`);
    }
    await ctx.manager.query('INSERT INTO effect (event_id, key, seq, attempt) VALUES ($1, $2, $3, $4)', [
      event.id,
      data.key,
      data.seq,
      ctx.record.attempt,
    ]);
  }
}

@Module({ controllers: [EffectController] })
export class EffectModule {}
