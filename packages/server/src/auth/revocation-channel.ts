// Revocations carried between the Earshot processes that share one PostgreSQL database, by
// LISTEN/NOTIFY: a key revoked, a session signed out or a user changed on one server (or by
// the CLI) closes the sockets opened with them on every server at once, and no server goes on
// trusting its cached read of the key (decision 0030). The database is the one thing every
// process already shares, so no broker is needed for this. With the embedded database one
// process owns the data, and the in-process announcement (revocations.ts) is all there is.
//
// A notification is not stored: one sent while a process's listening connection is down never
// reaches it. So after reconnecting, a process forgets every credential it had read, and its
// sockets' heartbeat re-checks still catch what was missed.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Service, Timers } from '../jobs/service.ts';
import { realTimers } from '../jobs/service.ts';
import type { Database } from '../store/database.ts';
import type { Revocations } from './revocations.ts';

export const REVOCATION_CHANNEL = 'earshot_revocations';

/** Longest wait between attempts to get the listening connection back. */
const MAX_RECONNECT_MS = 30_000;

export interface RevocationChannelOptions {
  /** The PostgreSQL database the processes share. */
  url: string;
  /** How notifications are sent: the process's own pool. */
  database: Pick<Database, 'db'>;
  revocations: Revocations;
  logger: Logger;
  /** False for a process that only sends (the CLI). Default true. */
  listen?: boolean;
  /** First wait before reconnecting a lost listening connection; it doubles, up to 30 s. */
  reconnectMs?: number;
  timers?: Timers;
}

interface Notice {
  /** The process that sent it: a process does not hear its own revocations twice. */
  from: string;
  id: string;
}

export class RevocationChannel implements Service {
  readonly name = 'revocation-channel';
  private readonly origin = randomUUID();
  private readonly timers: Timers;
  /** The listening connection, connecting or connected. */
  private client: pg.Client | undefined;
  private connected = false;
  private waiting: Array<() => void> = [];
  private everListened = false;
  private failures = 0;
  private retryTimer: unknown;
  private stopped = true;
  private stopRelaying: (() => void) | undefined;
  private readonly sends = new Set<Promise<void>>();

  constructor(private readonly options: RevocationChannelOptions) {
    this.timers = options.timers ?? realTimers;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stopRelaying = this.options.revocations.relayTo((id) => this.send(id));
    if (this.options.listen !== false) void this.connect();
  }

  /** Whether this process hears other processes' revocations now. */
  get listening(): boolean {
    return this.connected;
  }

  /** Resolves once this process hears other processes' revocations. */
  ready(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Waits for the notifications already handed to the database. */
  async drain(): Promise<void> {
    await Promise.all([...this.sends]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopRelaying?.();
    if (this.retryTimer !== undefined) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    await client?.end().catch(() => undefined);
  }

  /**
   * Tells the other processes. A failure is logged, not thrown: the revocation itself is
   * committed, and their heartbeat re-checks read it.
   */
  private send(id: string): void {
    const payload = JSON.stringify({ from: this.origin, id } satisfies Notice);
    const sent = this.options.database.db
      .execute(sql`select pg_notify(${REVOCATION_CHANNEL}, ${payload})`)
      .then(
        () => undefined,
        (error: unknown) =>
          this.options.logger.warn(
            { err: error },
            'revocation not announced to other processes; their re-checks will find it',
          ),
      )
      .finally(() => this.sends.delete(sent));
    this.sends.add(sent);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.url,
      connectionTimeoutMillis: 5_000,
    });
    this.client = client;
    client.on('notification', (message) => this.hear(message.payload));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, undefined));
    try {
      await client.connect();
      await client.query(`listen ${REVOCATION_CHANNEL}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.client !== client) return; // stopped, or lost, meanwhile
    this.connected = true;
    this.failures = 0;
    if (this.everListened) {
      // Whatever was revoked while the connection was down went unheard.
      this.options.logger.info('revocation channel back; cached credentials forgotten');
      this.options.revocations.missed();
    }
    this.everListened = true;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  private hear(payload: string | undefined): void {
    let notice: Notice;
    try {
      notice = JSON.parse(payload ?? '') as Notice;
    } catch {
      return; // not ours: the channel name is Earshot's, but anyone may notify it
    }
    if (typeof notice.id !== 'string' || notice.from === this.origin) return;
    this.options.revocations.received(notice.id);
  }

  private lost(client: pg.Client, error: unknown): void {
    if (this.client !== client) return; // already handled (error and end both come)
    this.client = undefined;
    this.connected = false;
    client.end().catch(() => undefined);
    if (this.stopped) return;
    const delay = Math.min(
      MAX_RECONNECT_MS,
      (this.options.reconnectMs ?? 1_000) * 2 ** this.failures,
    );
    this.failures += 1;
    this.options.logger.warn(
      { err: error, retryInMs: delay },
      'revocation channel lost; revocations by other processes reach this one at heartbeats until it is back',
    );
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) void this.connect();
    }, delay);
  }
}
