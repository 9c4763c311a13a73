// Write-behind group commit. Ingest applies an event in memory, publishes it, and hands the
// resulting mutations here; they are committed with everything else queued in the same
// window (≤ flushIntervalMs) in ONE statement (decision 0020). The caller's promise settles
// only when its mutations are committed, so an acknowledgement always means "durable".
//
// When the database is unreachable, the batch stays queued and is retried with backoff;
// waiting callers get 503 (they will retry, and their replay is recognised), and `available`
// turns false so ingest refuses new work with 503 until a commit succeeds again.
import { EarshotError } from '@earshot/protocol';
import type { Mutation } from '@earshot/engine';
import type { Logger } from 'pino';
import { isOutage } from '../store/index.ts';
import { realTimers, type Service, type Timers } from './service.ts';

/** Commits since start, for `GET /metrics`. */
export interface CommitStats {
  /** Commits that succeeded. */
  commits: number;
  /**
   * Document versions those commits carried. Each counts, though a commit writes only the last
   * version of each document (MutationStore's coalesce).
   */
  mutationsCommitted: number;
  /** Commits that failed: an outage, or rows the database refused. */
  failedCommits: number;
  /** Seconds spent committing, successful or not. */
  commitSeconds: number;
}

interface Group {
  mutations: readonly Mutation[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface WriteBehindOptions {
  commit: (mutations: readonly Mutation[]) => Promise<void>;
  logger: Logger;
  flushIntervalMs?: number;
  /**
   * Most rows in one commit. A larger backlog commits in several, so that building one
   * huge statement never holds the event loop (and every WebSocket) for long.
   */
  maxCommitRows?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
  timers?: Timers;
}

export class WriteBehind implements Service {
  readonly name = 'write-behind';
  private queue: Group[] = [];
  /** Mutations in `queue`, counted as they come and go (backlog is read per ingest frame). */
  private queued = 0;
  /** Mutations of failed commits, retried ahead of the queue (their callers already got 503). */
  private retry: Mutation[] = [];
  private timer: unknown;
  private flushing: Promise<void> | undefined;
  private retryDelay: number;
  private healthy = true;
  private running = false;
  private readonly flushIntervalMs: number;
  private readonly maxCommitRows: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly timers: Timers;
  readonly stats: CommitStats = {
    commits: 0,
    mutationsCommitted: 0,
    failedCommits: 0,
    commitSeconds: 0,
  };

  constructor(private readonly options: WriteBehindOptions) {
    this.flushIntervalMs = options.flushIntervalMs ?? 10;
    this.maxCommitRows = options.maxCommitRows ?? 5_000;
    this.retryMinMs = options.retryMinMs ?? 250;
    this.retryMaxMs = options.retryMaxMs ?? 5_000;
    this.retryDelay = this.retryMinMs;
    this.timers = options.timers ?? realTimers;
  }

  /** False while the last commit failed for want of a database. */
  get available(): boolean {
    return this.healthy;
  }

  /** Mutations queued or awaiting retry. */
  get backlog(): number {
    return this.retry.length + this.queued;
  }

  start(): void {
    this.running = true;
  }

  /**
   * Queues mutations; resolves once they (and everything queued before them) are committed.
   * An empty list is a barrier: it resolves after everything already queued commits.
   */
  write(mutations: readonly Mutation[]): Promise<void> {
    if (!this.running)
      return Promise.reject(new EarshotError('unavailable', 'Shutting down', { retryAfter: 1 }));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ mutations, resolve, reject });
      this.queued += mutations.length;
      this.schedule(this.flushIntervalMs);
    });
  }

  private schedule(delay: number): void {
    if (this.timer !== undefined || this.flushing) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
  }

  /** Commits what is queued now. Exposed for drain and tests. */
  flush(): Promise<void> {
    this.flushing ??= this.commitQueued().finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0 || this.retry.length > 0) {
        const behind = this.queued >= this.maxCommitRows;
        this.schedule(this.healthy ? (behind ? 0 : this.flushIntervalMs) : this.retryDelay);
      }
    });
    return this.flushing;
  }

  private async commitQueued(): Promise<void> {
    // Whole groups up to maxCommitRows (at least one): a caller's rows commit together.
    let cut = 0;
    let rows = this.retry.length;
    while (
      cut < this.queue.length &&
      (cut === 0 || rows + this.queue[cut]!.mutations.length <= this.maxCommitRows)
    ) {
      rows += this.queue[cut]!.mutations.length;
      cut++;
    }
    const groups = this.queue.splice(0, cut);
    this.queued -= rows - this.retry.length;
    const retried = this.retry;
    const mutations = [...retried, ...groups.flatMap((g) => g.mutations)];
    try {
      await this.commit(mutations);
      this.retry = [];
      if (!this.healthy) this.options.logger.info('database is back; commits resumed');
      this.healthy = true;
      this.retryDelay = this.retryMinMs;
      for (const group of groups) group.resolve();
    } catch (error) {
      if (isOutage(error)) {
        if (this.healthy)
          this.options.logger.warn({ err: error }, 'database unavailable; holding commits');
        this.healthy = false;
        this.retry = mutations;
        this.retryDelay = Math.min(this.retryMaxMs, this.retryDelay * 2);
        const refusal = new EarshotError(
          'unavailable',
          'The database is unavailable; retry shortly',
          {
            cause: error,
            retryAfter: Math.ceil(this.retryDelay / 1000),
          },
        );
        for (const group of groups) group.reject(refusal);
        return;
      }
      // Not an outage: some group holds something the database refuses. Commit the groups one
      // by one so only the offending one fails, rather than blocking every call behind it.
      this.options.logger.error({ err: error }, 'commit refused; isolating the offending writes');
      this.retry = [];
      for (const group of [
        { mutations: retried, resolve: () => undefined, reject: () => undefined },
        ...groups,
      ]) {
        try {
          await this.commit(group.mutations);
          group.resolve();
        } catch (groupError) {
          this.options.logger.error(
            { err: groupError },
            'writes dropped: the database refused them',
          );
          group.reject(groupError);
        }
      }
    }
  }

  /** One commit, counted and timed. */
  private async commit(mutations: readonly Mutation[]): Promise<void> {
    const started = performance.now();
    try {
      await this.options.commit(mutations);
      this.stats.commits += 1;
      this.stats.mutationsCommitted += mutations.length;
    } catch (error) {
      this.stats.failedCommits += 1;
      throw error;
    } finally {
      this.stats.commitSeconds += (performance.now() - started) / 1000;
    }
  }

  async drain(): Promise<void> {
    // Keep flushing while there is work and the database takes it; give up on an outage
    // (unacknowledged work is the pipeline's to resend).
    while ((this.queue.length > 0 || this.retry.length > 0 || this.flushing) && this.healthy) {
      await this.flush();
    }
    this.running = false;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    const error = new EarshotError('unavailable', 'Shutting down', { retryAfter: 1 });
    for (const group of this.queue) group.reject(error);
    this.queue = [];
    this.queued = 0;
  }
}
