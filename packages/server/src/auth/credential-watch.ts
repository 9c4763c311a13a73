// A long-lived connection's credentials, kept honest for as long as it stays open. An HTTP
// request is checked when it arrives; a socket is checked once, at its upgrade, and may stay
// open for days. So the socket is refused again (its owner closes it with 4401) when its key or
// session is revoked (at once, on the revocation's announcement), when it expires (at that
// moment), or when a re-check refuses it (a revocation no announcement reached). Used by the
// supervisors' realtime socket and by the pipelines' streaming ingest socket.
import { EarshotError } from '@earshot/protocol';
import type { Timers } from '../jobs/service.ts';
import type { Principal } from './principal.ts';
import type { Revocations } from './revocations.ts';

/** A timer cannot wait more than 2^31 - 1 ms (about 24.8 days): longer, it re-arms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface CredentialWatchOptions {
  principal: Pick<Principal, 'credentialId' | 'expiresAt'>;
  revocations: Revocations;
  timers: Timers;
  /** Milliseconds since the epoch (expiry is measured against it). */
  clock: () => number;
  /** The credentials stopped holding: called once, with the reason to close with. */
  onRefused: (reason: string) => void;
  /** A re-check got no answer (the database is down): the connection stays open. */
  onCheckFailed: (error: unknown) => void;
}

export class CredentialWatch {
  private expiryTimer: unknown;
  private readonly stopListening: () => void;
  private ended = false;

  constructor(private readonly options: CredentialWatchOptions) {
    const { credentialId } = options.principal;
    this.stopListening = options.revocations.onRevoke((id) => {
      if (id === credentialId) this.refuse('credentials revoked');
    });
    this.armExpiry();
  }

  /**
   * Runs `check` (a fresh verification of the credentials). Only a refusal ends the watch: a
   * database that cannot answer now is asked again at the next re-check, rather than
   * disconnecting every supervisor and pipeline at once.
   */
  recheck(check: () => Promise<unknown>): void {
    if (this.ended) return;
    check().catch((error: unknown) => {
      if (isRefusal(error)) this.refuse('credentials revoked or expired');
      else this.options.onCheckFailed(error);
    });
  }

  /** The connection closed: no more timers or announcements. */
  stop(): void {
    this.ended = true;
    if (this.expiryTimer !== undefined) this.options.timers.clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    this.stopListening();
  }

  private refuse(reason: string): void {
    if (this.ended) return;
    this.stop();
    this.options.onRefused(reason);
  }

  private armExpiry(): void {
    const { expiresAt } = this.options.principal;
    if (expiresAt === undefined || this.ended) return;
    const left = Math.max(0, expiresAt - this.options.clock());
    this.expiryTimer =
      left > MAX_TIMER_MS
        ? this.options.timers.setTimeout(() => this.armExpiry(), MAX_TIMER_MS)
        : this.options.timers.setTimeout(() => this.refuse('credentials expired'), left);
  }
}

/**
 * How old a key's row may be at a re-check made every `intervalMs`: a second at most, not the
 * 30 s key cache. The connections opened with one key share the reads made within it, so a
 * thousand sockets on one key cost about one query a second, not a thousand per re-check.
 */
export function recheckMaxAgeMs(intervalMs: number): number {
  return Math.min(1_000, intervalMs);
}

/** Whether an error is a verdict on the credentials, rather than a failure to check them. */
function isRefusal(error: unknown): boolean {
  return (
    error instanceof EarshotError && (error.kind === 'unauthorized' || error.kind === 'forbidden')
  );
}
