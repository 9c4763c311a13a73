// Delivers supervisor actions to the voice platform. Each outbox row was committed together
// with its supervisorActions row (the transactional outbox), so an action is delivered if and
// only if it was recorded. Each attempt is a signed webhook (HMAC-SHA256 over timestamp and
// body, decision 0014) carrying the action's id as Idempotency-Key, so a platform that saw an
// attempt whose answer was lost does not act twice. Failures are retried with exponential
// backoff and jitter; each attempt's outcome is recorded on the action, which subscribers see.
// A call's actions go in the order taken, one at a time; calls go side by side.
import type { SupervisorAction } from '@earshot/protocol';
import { randomBytes } from 'node:crypto';
import {
  IDEMPOTENCY_HEADER,
  NONCE_HEADER,
  signWebhook,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
} from '@earshot/engine';
import { and, asc, eq, inArray, lt, lte, notExists, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Logger } from 'pino';
import type { CallHost } from '../ingest/call-host.ts';
import type { Store } from '../store/index.ts';
import { outbox, supervisorActions } from '../store/schema.ts';
import { PeriodicService } from './periodic-service.ts';
import type { Timers } from './service.ts';

/** After this many failed attempts an action is marked failed and no longer retried. */
export const MAX_ATTEMPTS = 10;

export interface OutboxDispatcherOptions {
  store: Store;
  calls: CallHost;
  logger: Logger;
  url: string;
  secret: string;
  intervalMs?: number;
  timeoutMs?: number;
  /** Backoff before the second attempt, doubling to backoffMaxMs (1 s and 60 s). */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  clock?: () => number;
  random?: () => number;
  timers?: Timers;
  fetch?: typeof fetch;
}

/** Attempts in flight at once, across calls (a call has at most one). */
const MAX_IN_FLIGHT = 50;

export class OutboxDispatcher extends PeriodicService {
  readonly name = 'outbox-dispatcher';
  private readonly clock: () => number;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: OutboxDispatcherOptions) {
    super(options.intervalMs ?? 250, options.timers);
    this.clock = options.clock ?? Date.now;
  }

  /** Backoff before attempt n+1: 1 s doubling to 60 s, with up to half again of jitter. */
  backoffMs(attempts: number): number {
    const { backoffMinMs = 1_000, backoffMaxMs = 60_000 } = this.options;
    const base = Math.min(backoffMaxMs, backoffMinMs * 2 ** (attempts - 1));
    return base + (this.options.random ?? Math.random)() * (base / 2);
  }

  /** How long a claimed row is left to its claimer before another may try it (a crash mid-attempt). */
  private get leaseMs(): number {
    return (this.options.timeoutMs ?? 5_000) + 5_000;
  }

  /**
   * Claims the rows due now that head their call's queue (no earlier action of the call still
   * pending: one being retried holds back the ones taken after it), and starts their
   * attempts. A pass does not wait for them: a platform that is slow for one call does not
   * hold up the others. Claiming moves a row's next attempt past the lease, in one UPDATE
   * whose condition PostgreSQL checks again on a row another process changed meanwhile, so
   * several dispatchers on one database never send the same row at once.
   */
  protected async pass(): Promise<void> {
    try {
      const room = MAX_IN_FLIGHT - this.inFlight.size;
      if (room <= 0) return;
      const db = this.options.store.database.db;
      const now = this.clock();
      const earlier = alias(outbox, 'earlier');
      const heads = db
        .select({ id: outbox._id })
        .from(outbox)
        .where(
          and(
            eq(outbox.status, 'pending'),
            lte(outbox.nextAttemptAt, now),
            notExists(
              db
                .select({ one: sql`1` })
                .from(earlier)
                .where(
                  and(
                    eq(earlier.liveCallId, outbox.liveCallId),
                    eq(earlier.status, 'pending'),
                    lt(earlier.actionOrder, outbox.actionOrder),
                  ),
                ),
            ),
          ),
        )
        .orderBy(asc(outbox.createdAt), asc(outbox.actionOrder))
        .limit(room);
      const claimed = await db
        .update(outbox)
        .set({ nextAttemptAt: now + this.leaseMs })
        .where(
          and(
            inArray(outbox._id, heads),
            eq(outbox.status, 'pending'),
            lte(outbox.nextAttemptAt, now),
          ),
        )
        .returning();
      claimed.sort((a, b) => a.createdAt - b.createdAt || a.actionOrder - b.actionOrder);
      for (const row of claimed) {
        const attempt: Promise<void> = this.attempt(row)
          .catch((error: unknown) =>
            this.options.logger.warn(
              { err: error, callId: row.callId, actionId: row.actionId },
              'could not record a delivery attempt; the row is tried again after its lease',
            ),
          )
          .finally(() => this.inFlight.delete(attempt));
        this.inFlight.add(attempt);
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, 'outbox pass failed; retrying next pass');
    }
  }

  /** Waits for the attempts in flight too. */
  override async drain(): Promise<void> {
    await super.drain();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async attempt(row: typeof outbox.$inferSelect): Promise<void> {
    const body = JSON.stringify(row.payload);
    const timestamp = Math.floor(this.clock() / 1000);
    const nonce = randomBytes(12).toString('hex');
    let error: string | undefined;
    try {
      const response = await (this.options.fetch ?? fetch)(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [TIMESTAMP_HEADER]: String(timestamp),
          [NONCE_HEADER]: nonce,
          [SIGNATURE_HEADER]: signWebhook(this.options.secret, timestamp, nonce, body),
          [IDEMPOTENCY_HEADER]: row.actionId,
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
      });
      if (!response.ok) error = `HTTP ${response.status}`;
      await response.body?.cancel();
    } catch (e) {
      error = e instanceof Error ? (e.name === 'TimeoutError' ? 'timeout' : e.message) : 'failed';
    }
    const attempts = row.attempts + 1;
    const now = this.clock();
    const failed = error !== undefined && attempts >= MAX_ATTEMPTS;
    const delivery: NonNullable<SupervisorAction['delivery']> =
      error === undefined
        ? { status: 'delivered', attempts, deliveredAt: now }
        : { status: failed ? 'failed' : 'pending', attempts, lastError: error.slice(0, 200) };
    const recorded = await this.options.store.database.transaction(async (tx) => {
      // Only if the row is still as claimed: a dispatcher whose lease ran out (a very slow
      // answer) must not overwrite what the one that took the row over recorded.
      const [updated] = await tx
        .update(outbox)
        .set(
          error === undefined
            ? { status: 'delivered', attempts, deliveredAt: now, lastError: null }
            : {
                status: failed ? 'failed' : 'pending',
                attempts,
                lastError: error.slice(0, 200),
                nextAttemptAt: now + this.backoffMs(attempts),
              },
        )
        .where(
          and(
            eq(outbox._id, row._id),
            eq(outbox.status, 'pending'),
            eq(outbox.attempts, row.attempts),
          ),
        )
        .returning({ id: outbox._id });
      if (!updated) return false;
      // The action's row too, in the same commit: what the modal shows after a restart (or
      // from a process that does not hold the call) is what happened.
      await tx
        .update(supervisorActions)
        .set({ delivery })
        .where(eq(supervisorActions._id, row.actionId));
      return true;
    });
    if (!recorded) return;
    if (error !== undefined)
      this.options.logger.warn(
        { callId: row.callId, actionId: row.actionId, attempts, error },
        failed ? 'action delivery failed; giving up' : 'action delivery failed; will retry',
      );
    await this.options.calls.recordDelivery(row.callId, row.actionId, delivery);
  }
}
