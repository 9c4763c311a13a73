// Retention, every sweep interval: calls silent for longer than staleAfter are ended with
// reason "stale" (nothing stays live forever), and the live rows of calls ended more than
// `retention` ago are deleted (analytics and archive stay). Safe in several processes: the
// delete runs under a database lock (CallService.sweep). Sign-in sessions that ended (expired
// or signed out) more than `retention` ago are deleted too, and so are the shared rate-limit
// buckets that have filled up again.
import type { Logger } from 'pino';
import type { CallHost } from '../ingest/call-host.ts';
import { PeriodicService } from './periodic-service.ts';
import type { Timers } from './service.ts';

export interface RetentionOptions {
  calls: CallHost;
  sessions: { deleteEndedSessions(olderThanMs: number): Promise<number> };
  /** Shared rate limits (sign-in attempts), whose full buckets are deleted. */
  limits?: { deleteFull(): Promise<number> };
  logger: Logger;
  intervalMs: number;
  retentionMs: number;
  staleAfterMs: number;
  timers?: Timers;
}

export class RetentionSweeper extends PeriodicService {
  readonly name = 'retention-sweeper';

  constructor(private readonly options: RetentionOptions) {
    super(options.intervalMs, options.timers);
  }

  protected async pass(): Promise<void> {
    try {
      await this.options.calls.endStale(this.options.staleAfterMs);
      const { deleted } = await this.options.calls.sweep(this.options.retentionMs);
      if (deleted > 0) this.options.logger.info({ deleted }, 'expired live call data deleted');
      const sessions = await this.options.sessions.deleteEndedSessions(this.options.retentionMs);
      if (sessions > 0) this.options.logger.info({ sessions }, 'ended sign-in sessions deleted');
      await this.options.limits?.deleteFull();
    } catch (error) {
      // The next pass retries; an outage is already reported by the write-behind.
      this.options.logger.warn({ err: error }, 'retention pass failed');
    }
  }
}
