import { BaseRpcContext } from '@nestjs/microservices';
import { type EntityManager } from 'typeorm';
import { enqueueEvents, type OutboxMessage } from '../outbox/outbox.js';
import { enqueueRxscaleCommands, type NewRxscaleCommand } from '../outbox/rxscale-command.js';

/** Where a record came from; enough to find it again (and log it) without its payload. */
export interface RecordInfo {
  group: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  /** 1 for the first try; counts in-place retries and parked retries together. */
  attempt: number;
}

/**
 * The second argument of every `@OnEvent` handler (`@Ctx()`): the record's origin and the
 * transaction the handler must do all its work in. Whatever it writes through `manager`, plus the
 * events and commands it enqueues here, commits together with the inbox row, or not at all.
 */
export class PlumbingContext extends BaseRpcContext<[RecordInfo, EntityManager]> {
  get record(): RecordInfo {
    return this.args[0];
  }

  get manager(): EntityManager {
    return this.args[1];
  }

  enqueueEvents(...messages: OutboxMessage[]): Promise<void> {
    return enqueueEvents(this.manager, messages);
  }

  enqueueCommands(...commands: NewRxscaleCommand[]): Promise<string[]> {
    return enqueueRxscaleCommands(this.manager, commands);
  }
}
