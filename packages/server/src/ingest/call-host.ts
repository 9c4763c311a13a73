// What the HTTP routes, the realtime hub and the background jobs need from the live calls.
// Two implementations: CallService holds the calls on the main thread (the default), and
// CallThread holds them on a worker thread (--engine-thread), keeping a replica on the main
// thread for snapshots. Everything here is plain data, so it can cross a thread.
import type { OutsideAdvice } from '@earshot/engine';
import type { ActInput } from './action-idempotency.ts';
import { EarshotError } from '@earshot/protocol';
import type {
  AuditEntry,
  CallSnapshot,
  EndReason,
  EventBatchResponse,
  IngestEvent,
  LiveCall,
  Problem,
  StartCallRequest,
  SupervisorAction,
} from '@earshot/protocol';
import type { CommitStats } from '../jobs/write-behind.ts';
import type { SnapshotSource } from '../realtime/hub.ts';

/** The answer to one streaming-ingest frame, sent back on the pipeline's socket. */
export type StreamAnswer =
  ({ type: 'ack' } & EventBatchResponse) | { type: 'error'; lastSeq?: number; problem: Problem };

/** One part of the calls, for a metrics pass spread over the interval. */
export interface TickPart {
  index: number;
  of: number;
}

/** What the live calls have done since the process started: counters for `GET /metrics`. */
export interface IngestStats extends CommitStats {
  /** Events applied for the first time. */
  eventsAccepted: number;
  /** Events recognised as replays of accepted ones: acknowledged again, not applied again. */
  eventsDuplicate: number;
  /**
   * Batches (requests or stream frames) refused before anything was applied: a malformed
   * frame, an unknown call, a conflicting replay, no database.
   */
  batchesRefused: number;
  /** Events whose text was dropped because its redaction failed (transcripts, coaching, next actions, phases, objectives). */
  redactionFailures: number;
}

/** Who acted, and from where: the action's audit entry is written in the action's own commit. */
export interface ActionAudit {
  actor: { kind: AuditEntry['actorKind']; id: string; name: string };
  ip?: string;
}

export type ActionDelivery = NonNullable<SupervisorAction['delivery']>;

/** What `act` answers: the action, and whether an earlier request with its key took it. */
export interface ActResult {
  action: SupervisorAction;
  retried: boolean;
}

export interface CallHost extends SnapshotSource {
  start(request: StartCallRequest): Promise<{ call: LiveCall; created: boolean }>;
  /** Applies a validated batch, all or nothing; resolves once it is committed. */
  ingest(callId: string, events: readonly IngestEvent[]): Promise<EventBatchResponse>;
  /** Parses, validates and applies one streaming frame; never rejects. */
  ingestFrame(callId: string, text: string): Promise<StreamAnswer>;
  /**
   * Records a supervisor's action; with `audit`, its `supervisor_action` entry commits with it.
   * Resolves once the action is committed, also for a retry with the same Idempotency-Key
   * (`retried`), which gets the first request's action once that one is committed.
   */
  act(callId: string, input: ActInput, audit?: ActionAudit): Promise<ActResult>;
  recordDelivery(callId: string, actionId: string, delivery: ActionDelivery): Promise<void>;
  end(callId: string, reason: EndReason): Promise<LiveCall>;
  /** The whole call as held now (transcripts in order), or undefined. */
  snapshot(callId: string): CallSnapshot | undefined;
  liveCalls(): LiveCall[];
  advise(callId: string, advice: OutsideAdvice): Promise<void>;
  /** Ticks every connected call, or those in one part of them. */
  tickAll(part?: TickPart): Promise<number>;
  endStale(staleAfterMs: number): Promise<string[]>;
  sweep(retentionMs: number): Promise<{ deleted: number; skipped: boolean }>;
  /** Rows applied in memory and waiting for the database. */
  readonly writeBacklog: number;
  /** Whether commits are succeeding (false: new work gets 503). */
  readonly writable: boolean;
  /** Counters since start (redaction failures among them). */
  readonly stats: IngestStats;
  /** Commits what is queued now. */
  flush(): Promise<void>;
  /** For shutdown: commits everything accepted (unless the database is gone), then takes no more. */
  drain(): Promise<void>;
}

/**
 * The answer for an ended call that a restarted process has not read back yet (decision
 * 0036): it exists, so 404 would be wrong, and it will be there in a moment.
 */
export function stillReadingBack(callId: string): EarshotError {
  return new EarshotError(
    'unavailable',
    `Call ${callId} ended before the server restarted and is still being read back; retry shortly`,
    { retryAfter: 1 },
  );
}
