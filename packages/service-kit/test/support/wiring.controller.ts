import { Controller, Inject, Module, type DynamicModule } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { createCloudEvent, type CloudEvent } from '@rxbridge/contracts';
import { z } from 'zod';
import {
  defineLocalEvent,
  OnEvent,
  PermanentError,
  PlumbingContext,
  type LocalEvent,
  type ServiceLogger,
} from '../../src/index.js';

export const WIRING_SETTINGS = Symbol('WIRING_SETTINGS');

export interface WiringSettings {
  /** where the handler publishes its follow-up event */
  outTopic: string;
  logger: ServiceLogger;
  /** `test.gated` records wait for this before they finish */
  gate: { reached: () => void; released: Promise<void> };
}

export interface WiredData {
  key: string;
  /** the RxScale command kind the handler queues */
  command?: string;
}

const WiredDataSchema = z.object({
  key: z.string(),
  command: z.string().optional(),
}) satisfies z.ZodType<WiredData>;
/** The test service's own types, outside the event registry. */
export const TestWired = defineLocalEvent('test.wired', WiredDataSchema);
export const TestPoison = defineLocalEvent('test.poison', WiredDataSchema);
export const TestGated = defineLocalEvent('test.gated', WiredDataSchema);

/**
 * A service in miniature: handles a record by writing a follow-up event and an RxScale command in its
 * transaction, refuses `test.poison`, and holds `test.gated` until the test lets it go.
 */
@Controller()
export class WiringController {
  constructor(@Inject(WIRING_SETTINGS) private readonly settings: WiringSettings) {}

  @OnEvent(TestWired)
  async wired(@Payload() event: LocalEvent<typeof TestWired>, @Ctx() ctx: PlumbingContext): Promise<void> {
    const { data } = event;
    this.settings.logger.info({ event_id: event.id }, 'handling wired record');
    await ctx.enqueueEvents({
      topic: this.settings.outTopic,
      key: data.key,
      event: createCloudEvent({
        type: 'test.followed',
        source: '/wiring-test',
        subject: data.key,
        data: { cause: event.id },
      }),
    });
    if (data.command) await ctx.enqueueCommands({ kind: data.command, targetUid: data.key, payload: {} });
  }

  @OnEvent(TestPoison)
  poison(): void {
    throw new PermanentError('transition refused', 'transition_not_allowed');
  }

  @OnEvent(TestGated)
  async gated(): Promise<void> {
    this.settings.gate.reached();
    await this.settings.gate.released;
  }
}

@Module({})
export class WiringModule {
  static forRoot(settings: WiringSettings): DynamicModule {
    return {
      module: WiringModule,
      controllers: [WiringController],
      providers: [{ provide: WIRING_SETTINGS, useValue: settings }],
    };
  }
}

export function wiredEvent(type: string, data: WiredData): CloudEvent {
  return createCloudEvent({ type, source: '/wiring-test', subject: data.key, data });
}
