// Every 5 seconds, a metrics pass over each connected call (engine `tick`): a
// livePerformanceMetrics row, time-based coaching and refreshed next actions.
import type { Logger } from 'pino';
import type { CallService } from '../ingest/call-service.ts';
import { PeriodicService } from './periodic-service.ts';
import type { Timers } from './service.ts';

export interface MetricsTickerOptions {
  calls: CallService;
  logger: Logger;
  intervalMs?: number;
  timers?: Timers;
}

export class MetricsTicker extends PeriodicService {
  readonly name = 'metrics-ticker';

  constructor(private readonly options: MetricsTickerOptions) {
    super(options.intervalMs ?? 5_000, options.timers);
  }

  protected async pass(): Promise<void> {
    try {
      await this.options.calls.tickAll();
    } catch (error) {
      this.options.logger.warn({ err: error }, 'metrics pass failed');
    }
  }
}
