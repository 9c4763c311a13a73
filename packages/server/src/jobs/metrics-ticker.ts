// Every 5 seconds, a metrics pass over each connected call (engine `tick`): a
// livePerformanceMetrics row, time-based coaching and refreshed next actions. The pass is
// spread over the interval in PARTS slices (a call always in the same one), so a thousand
// calls do not all tick in one burst that holds up every event behind it.
import type { Logger } from 'pino';
import type { CallHost } from '../ingest/call-host.ts';
import { PeriodicService } from './periodic-service.ts';
import type { Timers } from './service.ts';

export interface MetricsTickerOptions {
  calls: CallHost;
  logger: Logger;
  intervalMs?: number;
  timers?: Timers;
}

/** Slices of one interval: each call still ticks once per interval. */
export const TICK_PARTS = 10;

export class MetricsTicker extends PeriodicService {
  readonly name = 'metrics-ticker';
  private nextPart = 0;

  constructor(private readonly options: MetricsTickerOptions) {
    super((options.intervalMs ?? 5_000) / TICK_PARTS, options.timers);
  }

  protected async pass(): Promise<void> {
    const index = this.nextPart;
    this.nextPart = (index + 1) % TICK_PARTS;
    try {
      await this.options.calls.tickAll({ index, of: TICK_PARTS });
    } catch (error) {
      this.options.logger.warn({ err: error }, 'metrics pass failed');
    }
  }
}
