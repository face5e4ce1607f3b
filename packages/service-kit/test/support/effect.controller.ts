import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { z } from 'zod';
import {
  defineLocalEvent,
  OnEvent,
  PermanentError,
  PlumbingContext,
  TransientError,
  type LocalEvent,
} from '../../src/index.js';
import { type EffectData } from './plumbing-harness.js';

/** `test.effect`, a type outside the event registry, registered for the test service only. */
export const TestEffect = defineLocalEvent(
  'test.effect',
  z.object({
    key: z.string(),
    seq: z.number().int(),
    failUntilAttempt: z.number().int().optional(),
    refuse: z.boolean().optional(),
    holdMs: z.number().int().optional(),
  }) satisfies z.ZodType<EffectData>,
);

/** The test service: writes one `effect` row per event, and fails on demand. */
@Controller()
export class EffectController {
  @OnEvent(TestEffect)
  async apply(@Payload() event: LocalEvent<typeof TestEffect>, @Ctx() ctx: PlumbingContext): Promise<void> {
    const { data } = event;
    if (data.holdMs) await new Promise((resolve) => setTimeout(resolve, data.holdMs));
    const refused = await ctx.manager.query<unknown[]>('SELECT 1 FROM refuse WHERE event_id = $1', [
      event.id,
    ]);
    if (data.refuse || refused.length > 0)
      throw new PermanentError('transition refused', 'transition_not_allowed');
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
