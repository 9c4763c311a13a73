// The process's operational metrics, in Prometheus's text format (GET /api/v1/metrics). Every
// value is read when a scraper asks, from counters and state the services keep anyway, so
// nothing is added to the path of an event. No call data appears here: labels are statuses
// and close codes, never call ids, names or campaigns.
import { CALL_STATUSES, CLOSE_CODES } from '@earshot/protocol';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { CallHost } from './ingest/call-host.ts';
import type { Hub } from './realtime/hub.ts';
import type { RealtimeCounts } from './realtime/realtime-routes.ts';
import type { Store } from './store/index.ts';

export interface TelemetrySources {
  calls: Pick<CallHost, 'stats' | 'writeBacklog' | 'writable' | 'liveCalls'>;
  hub: Pick<Hub, 'sessionCount' | 'followedCalls' | 'wallboardFollowers'>;
  realtime: RealtimeCounts;
  database: Pick<Store['database'], 'ping'>;
  /** With PostgreSQL: the channel that carries revocations between processes. */
  revocationChannel?: { readonly listening: boolean } | undefined;
}

let processRegistry: Registry | undefined;

/**
 * Node's own metrics (CPU, memory, event-loop delay, garbage collection), registered once per
 * process: they describe the process, and each registration starts its own observers.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * Close codes that name something: the protocol's own and the standard ones a socket ends
 * with (normal, none given, dropped, too big, server error). Any other code a client sends
 * counts as "other", so a client cannot make up series.
 */
const KNOWN_CLOSE_CODES = new Set<number>([
  ...Object.values(CLOSE_CODES),
  1000,
  1005,
  1006,
  1009,
  1011,
]);

export class Telemetry {
  private readonly registry = new Registry();

  constructor(sources: TelemetrySources) {
    const registers = [this.registry];
    const { calls, hub, realtime } = sources;
    /** A counter whose total is kept elsewhere and read at each scrape. */
    const total = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    const gauge = (name: string, help: string, read: () => number | Promise<number>) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          this.set(await read());
        },
      });

    new Gauge({
      name: 'earshot_live_calls',
      help: 'Calls held by this process (live, or ended within the retention period), by status',
      labelNames: ['status'],
      registers,
      collect() {
        const counts = new Map<string, number>(CALL_STATUSES.map((status) => [status, 0]));
        for (const call of calls.liveCalls())
          counts.set(call.status, (counts.get(call.status) ?? 0) + 1);
        for (const [status, count] of counts) this.set({ status }, count);
      },
    });
    new Counter({
      name: 'earshot_ingest_events_total',
      help: 'Events received: accepted (applied for the first time) or duplicate (a replay, acknowledged again)',
      labelNames: ['outcome'],
      registers,
      collect() {
        const stats = calls.stats;
        this.reset();
        this.inc({ outcome: 'accepted' }, stats.eventsAccepted);
        this.inc({ outcome: 'duplicate' }, stats.eventsDuplicate);
      },
    });
    total(
      'earshot_ingest_batches_refused_total',
      'Event batches and stream frames refused before anything was applied',
      () => calls.stats.batchesRefused,
    );
    total(
      'earshot_redaction_failures_total',
      'Transcript chunks (or pipeline coaching, next actions, phase or objective names) dropped, never stored or sent, because their redaction failed',
      () => calls.stats.redactionFailures,
    );
    gauge(
      'earshot_write_backlog_mutations',
      'Document versions applied in memory and waiting for the database',
      () => calls.writeBacklog,
    );
    gauge('earshot_database_writable', '1 while commits succeed; 0 while ingest answers 503', () =>
      calls.writable ? 1 : 0,
    );
    gauge('earshot_database_up', '1 if the database answered a ping during this scrape', () =>
      sources.database.ping().then((up) => (up ? 1 : 0)),
    );
    const channel = sources.revocationChannel;
    if (channel) {
      gauge(
        'earshot_revocation_channel_up',
        '1 if revocations made by other processes reach this one at once (PostgreSQL LISTEN)',
        () => (channel.listening ? 1 : 0),
      );
    }
    total(
      'earshot_commits_total',
      'Write-behind commits that succeeded',
      () => calls.stats.commits,
    );
    total(
      'earshot_commit_failures_total',
      'Write-behind commits that failed (an outage, or rows the database refused)',
      () => calls.stats.failedCommits,
    );
    total(
      'earshot_commit_seconds_total',
      'Seconds spent in write-behind commits; divided by commits, the mean commit time',
      () => calls.stats.commitSeconds,
    );
    total(
      'earshot_committed_mutations_total',
      'Document versions carried by successful commits (each written once, as its last version)',
      () => calls.stats.mutationsCommitted,
    );
    gauge(
      'earshot_realtime_connections',
      'Supervisor sockets open and signed in',
      () => hub.sessionCount,
    );
    gauge(
      'earshot_realtime_followed_calls',
      'Calls that at least one supervisor socket follows',
      () => hub.followedCalls,
    );
    gauge(
      'earshot_realtime_wallboard_followers',
      'Supervisor sockets following the wallboard',
      () => hub.wallboardFollowers,
    );
    total(
      'earshot_realtime_connections_opened_total',
      'Supervisor sockets opened (before authentication)',
      () => realtime.opened,
    );
    new Counter({
      name: 'earshot_realtime_connections_closed_total',
      help: 'Supervisor sockets closed, by close code (4408: too slow to keep up; 4400: malformed frame; 4401: credentials)',
      labelNames: ['code'],
      registers,
      collect() {
        this.reset();
        for (const [code, count] of realtime.closed)
          this.inc({ code: KNOWN_CLOSE_CODES.has(code) ? String(code) : 'other' }, count);
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Everything, in the text exposition format. */
  async text(): Promise<string> {
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${own}\n${process}`;
  }
}
