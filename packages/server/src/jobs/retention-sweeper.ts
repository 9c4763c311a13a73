// Retention, every sweep interval: calls silent for longer than staleAfter are ended with
// reason "stale" (nothing stays live forever), and the live rows of calls ended more than
// `retention` ago are deleted (analytics and archive stay). Safe in several processes: the
// delete runs under a database lock (CallService.sweep).
import type { Logger } from 'pino';
import type { CallService } from '../ingest/call-service.ts';
import { realTimers, type Service, type Timers } from './service.ts';

export interface RetentionOptions {
  calls: CallService;
  logger: Logger;
  intervalMs: number;
  retentionMs: number;
  staleAfterMs: number;
  timers?: Timers;
}

export class RetentionSweeper implements Service {
  readonly name = 'retention-sweeper';
  private timer: unknown;
  private running: Promise<void> | undefined;
  private stopped = true;
  private readonly timers: Timers;

  constructor(private readonly options: RetentionOptions) {
    this.timers = options.timers ?? realTimers;
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.timers.setTimeout(() => {
      void this.runOnce().finally(() => this.schedule());
    }, this.options.intervalMs);
  }

  /** One pass: end stale calls, then delete expired live rows. Exposed for tests. */
  runOnce(): Promise<void> {
    this.running ??= (async () => {
      try {
        await this.options.calls.endStale(this.options.staleAfterMs);
        const { deleted } = await this.options.calls.sweep(this.options.retentionMs);
        if (deleted > 0) this.options.logger.info({ deleted }, 'expired live call data deleted');
      } catch (error) {
        // The next pass retries; an outage is already reported by the write-behind.
        this.options.logger.warn({ err: error }, 'retention pass failed');
      }
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async drain(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
  }
}
