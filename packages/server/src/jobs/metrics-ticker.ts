// Every 5 seconds, a metrics pass over each connected call (engine `tick`): a
// livePerformanceMetrics row, time-based coaching and refreshed next actions. Timers and the
// clock are injected so tests drive it tick by tick.
import type { Logger } from 'pino';
import type { CallService } from '../ingest/call-service.ts';
import { realTimers, type Service, type Timers } from './service.ts';

export interface MetricsTickerOptions {
  calls: CallService;
  logger: Logger;
  intervalMs?: number;
  timers?: Timers;
}

export class MetricsTicker implements Service {
  readonly name = 'metrics-ticker';
  private timer: unknown;
  private running: Promise<number> | undefined;
  private stopped = true;
  private readonly timers: Timers;
  readonly intervalMs: number;

  constructor(private readonly options: MetricsTickerOptions) {
    this.timers = options.timers ?? realTimers;
    this.intervalMs = options.intervalMs ?? 5_000;
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.timers.setTimeout(() => {
      void this.runOnce().finally(() => this.schedule());
    }, this.intervalMs);
  }

  /** One pass over every connected call; resolves to how many were ticked. */
  runOnce(): Promise<number> {
    this.running ??= this.options.calls
      .tickAll()
      .catch((error: unknown) => {
        // A pass that could not commit is simply the next pass's to redo.
        this.options.logger.warn({ err: error }, 'metrics pass failed');
        return 0;
      })
      .finally(() => {
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
