import pg from 'pg';
import { describeFailure, sleep } from '../kafka/failure.js';
import { type PlumbingLogger } from '../kafka/plumbing-observer.js';

/**
 * A dedicated connection LISTENing on one channel, calling `onNotify` for notifications about `schema`.
 * Reconnects after a failure; the relays keep polling meanwhile, so a lost connection only slows them.
 */
export class NotificationListener {
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly schema: string,
    private readonly onNotify: () => void,
    private readonly log: PlumbingLogger,
  ) {}

  start(): Promise<void> {
    let firstConnect: (value?: unknown) => void = () => undefined;
    const connected = new Promise((resolve) => (firstConnect = resolve));
    this.loop = (async () => {
      for (let attempt = 1; !this.stopping.signal.aborted; attempt++) {
        const client = new pg.Client({
          connectionString: this.url,
          application_name: `rxbridge-${this.schema}-listen`,
        });
        try {
          const lost = new Promise<void>((resolve) => {
            client.on('error', () => resolve());
            client.on('end', () => resolve());
          });
          client.on('notification', (n) => {
            if (n.payload === this.schema) this.onNotify();
          });
          await client.connect();
          await client.query(`LISTEN ${this.channel}`);
          firstConnect();
          attempt = 0;
          // a notification may have been missed while (re)connecting
          this.onNotify();
          await Promise.race([
            lost,
            new Promise((r) => this.stopping.signal.addEventListener('abort', r, { once: true })),
          ]);
        } catch (error) {
          this.log.warn(
            { channel: this.channel, error: describeFailure(error) },
            'LISTEN connection failed; polling meanwhile',
          );
          firstConnect();
        } finally {
          await client.end().catch(() => undefined);
        }
        await sleep(Math.min(5_000, 100 * 2 ** attempt), this.stopping.signal);
      }
    })();
    return connected.then(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }
}

/** A wake-up signal: `wait` resolves on the next `notify` or after `ms`, whichever comes first. */
export class Wakeup {
  private pending = false;
  private readonly waiters = new Set<() => void>();

  notify(): void {
    if (this.waiters.size === 0) {
      // nobody is waiting: the next wait returns at once, so a notification between two polls is not lost
      this.pending = true;
      return;
    }
    for (const wake of [...this.waiters]) wake();
  }

  /**
   * Wakes one waiter (with none waiting, the next wait returns at once): a loop that found work passes the
   * word on to one idle loop, which does the same while work lasts, instead of waking every idle loop for one
   * claim each (most of them finding nothing).
   */
  notifyOne(): void {
    const [wake] = this.waiters;
    if (wake) wake();
    else this.pending = true;
  }

  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }
}
