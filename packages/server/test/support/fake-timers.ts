// Timers a test advances by hand, sharing a clock with the services under test.
import type { Timers } from '../../src/jobs/service.ts';

export class FakeTimers implements Timers {
  now: number;
  private pending = new Map<number, { at: number; callback: () => void }>();
  private nextHandle = 1;

  constructor(start: number) {
    this.now = start;
  }

  setTimeout = (callback: () => void, ms: number): unknown => {
    const handle = this.nextHandle++;
    this.pending.set(handle, { at: this.now + ms, callback });
    return handle;
  };

  clearTimeout = (handle: unknown): void => {
    this.pending.delete(handle as number);
  };

  clock = (): number => this.now;

  /** Moves time forward, running every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.pending.entries()]
        .filter(([, t]) => t.at <= until)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].callback();
      // Let the callback's promises (database writes) settle before the next timer.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    this.now = until;
  }
}
