// Delivers supervisor actions to the voice platform. Each outbox row was committed together
// with its supervisorActions row (the transactional outbox), so an action is delivered if and
// only if it was recorded. Each attempt is a signed webhook (HMAC-SHA256 over timestamp and
// body, decision 0014) carrying the action's id as Idempotency-Key, so a platform that saw an
// attempt whose answer was lost does not act twice. Failures are retried with exponential
// backoff and jitter; each attempt's outcome is recorded on the action, which subscribers see.
import type { SupervisorAction } from '@earshot/protocol';
import { randomBytes } from 'node:crypto';
import {
  IDEMPOTENCY_HEADER,
  NONCE_HEADER,
  signWebhook,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
} from '@earshot/engine';
import { and, asc, eq, lte } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { CallHost } from '../ingest/call-host.ts';
import type { Store } from '../store/index.ts';
import { outbox } from '../store/schema.ts';
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

export class OutboxDispatcher extends PeriodicService {
  readonly name = 'outbox-dispatcher';
  private readonly clock: () => number;

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

  protected async pass(): Promise<void> {
    try {
      const db = this.options.store.database.db;
      const due = await db
        .select()
        .from(outbox)
        .where(and(eq(outbox.status, 'pending'), lte(outbox.nextAttemptAt, this.clock())))
        .orderBy(asc(outbox.createdAt))
        .limit(50);
      // In order, one at a time: a call's actions reach the platform in the order taken.
      for (const row of due) await this.attempt(row);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'outbox pass failed; retrying next pass');
    }
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
    const db = this.options.store.database.db;
    let delivery: NonNullable<SupervisorAction['delivery']>;
    if (error === undefined) {
      await db
        .update(outbox)
        .set({ status: 'delivered', attempts, deliveredAt: now, lastError: null })
        .where(eq(outbox._id, row._id));
      delivery = { status: 'delivered', attempts, deliveredAt: now };
    } else {
      const failed = attempts >= MAX_ATTEMPTS;
      await db
        .update(outbox)
        .set({
          status: failed ? 'failed' : 'pending',
          attempts,
          lastError: error.slice(0, 200),
          nextAttemptAt: now + this.backoffMs(attempts),
        })
        .where(eq(outbox._id, row._id));
      delivery = {
        status: failed ? 'failed' : 'pending',
        attempts,
        lastError: error.slice(0, 200),
      };
      this.options.logger.warn(
        { callId: row.callId, actionId: row.actionId, attempts, error },
        failed ? 'action delivery failed; giving up' : 'action delivery failed; will retry',
      );
    }
    await this.options.calls.recordDelivery(row.callId, row.actionId, delivery);
  }
}
