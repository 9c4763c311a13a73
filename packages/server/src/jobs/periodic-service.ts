// A service that does one pass of work every interval: never two passes at once, the next
// scheduled after the last one finishes, drained on shutdown. Timers are injected for tests.
import { realTimers, type Service, type Timers } from './service.ts';

export abstract class PeriodicService implements Service {
  abstract readonly name: string;
  private timer: unknown;
  private running: Promise<void> | undefined;
  private stopped = true;
  private readonly timers: Timers;

  constructor(
    readonly intervalMs: number,
    timers: Timers | undefined,
  ) {
    this.timers = timers ?? realTimers;
  }

  /** One pass of the work. It must not throw: a failed pass is the next one's to redo. */
  protected abstract pass(): Promise<void>;

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

  /** Runs a pass now (or joins the one running). Exposed for tests. */
  runOnce(): Promise<void> {
    this.running ??= this.pass().finally(() => {
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
