// The live calls this process owns, and the three things a pipeline does to them: start,
// send events, end. Each call's state lives here in memory (the engine's CallState); every
// change goes through a pure engine function, then to subscribers, then to the write-behind.
// A request is answered only once its writes are committed.
import { randomUUID } from 'node:crypto';
import {
  addAdvice,
  applyEvents,
  callForScreens,
  tick,
  endCall,
  recordSupervisorAction,
  setActionDelivery,
  forEndedCall,
  restoreCall,
  SeenEvents,
  startCall,
  startHash,
  LIVE_CALL_TABLES,
  wallboardEntry,
  wallboardEntryAfter,
  type CallState,
  type EngineContext,
  type Mutation,
  type OutsideAdvice,
  type WallboardEntry,
  type WritableTable,
} from '@earshot/engine';
import {
  diffDocument,
  EarshotError,
  eventBatchRequest,
  type CallChange,
  parseOrThrow,
  type CallSnapshot,
  type EndReason,
  type EventBatchResponse,
  type IngestEvent,
  type LiveCall,
  type Campaign,
  type StartCallRequest,
} from '@earshot/protocol';
import { and, eq, inArray, lt, ne, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { WriteBehind } from '../jobs/write-behind.ts';
import { MutationStore } from '../store/mutation-store.ts';
import type { RealtimeBus } from '../realtime/bus.ts';
import { auditRow } from '../auth/audit-log.ts';
import { actionIdFor, type ActInput } from './action-idempotency.ts';
import {
  stillReadingBack,
  type ActionAudit,
  type ActResult,
  type ActionDelivery,
  type CallHost,
  type IngestStats,
  type StreamAnswer,
  type TickPart,
} from './call-host.ts';
import { isOutage, toEarshotError, type Store } from '../store/index.ts';
import { callEvents, callRedactionPolicies, liveCalls } from '../store/schema.ts';

type Document = Record<string, unknown>;

/** What subscribers see change: the seed's ten tables (the event log and roll-up are internal). */
const PUBLISHED_TABLES = new Set<WritableTable>(LIVE_CALL_TABLES);

export interface CallServiceOptions {
  store: Store;
  writer: WriteBehind;
  bus: RealtimeBus;
  logger: Logger;
  clock?: () => number;
  newId?: () => string;
  redact?: EngineContext['redact'];
  /** A voice platform receives actions on calls (through the outbox). */
  platformConfigured?: boolean;
}

/** Calls read from the store at once when a process starts (see `load`). */
const LOAD_CONCURRENCY = 8;

/** The part of `parts` a call's metrics tick falls in: FNV-1a of the callId. */
export function tickPartOf(callId: string, parts: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < callId.length; i++) hash = Math.imul(hash ^ callId.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % parts;
}

/**
 * A CallService with a write-behind of its own over `store`, holding every call the store
 * still has. The caller starts the write-behind (and stops it). Used by the server on the
 * main thread and by the engine thread alike. It resolves once the live calls are read back;
 * ended calls follow in the background unless `endedInBackground` is false (see `load`).
 */
export async function openCallService(
  options: Omit<CallServiceOptions, 'writer'> & {
    flushIntervalMs: number;
    endedInBackground?: boolean;
  },
): Promise<{ calls: CallService; writer: WriteBehind }> {
  const { flushIntervalMs, endedInBackground = true, ...rest } = options;
  const mutations = new MutationStore(options.store.database);
  const writer = new WriteBehind({
    commit: (batch) => mutations.commit(batch),
    logger: options.logger,
    flushIntervalMs,
  });
  const calls = new CallService({ ...rest, writer });
  const { live, ended } = await calls.load({ endedInBackground });
  if (live + ended > 0)
    options.logger.info(
      { live, ended },
      endedInBackground && ended > 0
        ? 'restored the live calls; reading back the ended ones in the background'
        : 'restored calls from the store',
    );
  return { calls, writer };
}

/** A refused streaming frame's answer: its problem, and its last seq when it was read. */
function refusedFrame(error: unknown, lastSeq: number | undefined): StreamAnswer {
  return {
    type: 'error',
    ...(lastSeq !== undefined ? { lastSeq } : {}),
    problem: toEarshotError(error).toProblem(),
  };
}

function lastSeqOf(events: readonly IngestEvent[]): number {
  return events.reduce((max, e) => Math.max(max, e.seq), 0);
}

/** seq 0 in the event log holds the hash of the start request. */
const START_SEQ = 0;

export class CallService implements CallHost {
  private readonly calls = new Map<string, CallState>();
  /** The wallboard row last published for each call, and the snapshot it was made from. */
  private readonly rows = new Map<string, { snapshot: CallSnapshot; entry: WallboardEntry }>();
  private readonly clock: () => number;
  private readonly newId: () => string;
  /** Actions taken with an Idempotency-Key whose commit has not settled yet, by action id. */
  private readonly actionCommits = new Map<string, Promise<void>>();
  /** Calls being put back to what the store holds after a refused write (reload). */
  private readonly reloading = new Map<string, Promise<void>>();
  /**
   * Ended calls a restart has not read back yet, by callId (decision 0036). Until one is read,
   * what names it is answered 503 with Retry-After, not a 404 that a moment later is wrong.
   */
  private readonly pendingEnded = new Map<string, { id: string; campaignId?: string }>();
  private endedRead: Promise<void> = Promise.resolve();
  /** Set by drain: the background read stops taking more calls. */
  private stopping = false;

  constructor(private readonly options: CallServiceOptions) {
    this.clock = options.clock ?? Date.now;
    this.newId = options.newId ?? randomUUID;
  }

  private context(): EngineContext {
    return {
      now: this.clock(),
      newId: this.newId,
      ...(this.options.redact ? { redact: this.options.redact } : {}),
    };
  }

  /** Counted as it happens; the write-behind counts its commits. */
  private readonly counts = {
    eventsAccepted: 0,
    eventsDuplicate: 0,
    batchesRefused: 0,
    /** Events whose text was dropped because its redaction failed (fail closed). */
    redactionFailures: 0,
  };

  get stats(): IngestStats {
    return { ...this.counts, ...this.options.writer.stats };
  }

  /**
   * Refuses new work while commits are failing (nothing is applied that cannot be kept), and
   * new work on a call that is being reloaded (it would be applied to the state being replaced).
   */
  private ensureWritable(callId?: string): void {
    if (!this.options.writer.available) {
      throw new EarshotError('unavailable', 'The database is unavailable; retry shortly', {
        retryAfter: 1,
      });
    }
    if (callId !== undefined && this.reloading.has(callId)) {
      throw new EarshotError(
        'unavailable',
        `Call ${callId} is being reloaded from the store; retry shortly`,
        { retryAfter: 1 },
      );
    }
  }

  private get(callId: string): CallState {
    const state = this.calls.get(callId);
    if (!state) {
      if (this.pendingEnded.has(callId)) throw stillReadingBack(callId);
      throw new EarshotError('not_found', `No live call ${callId}`);
    }
    return state;
  }

  /**
   * An ended call this process has not read back yet after a restart (with its campaign, so
   * a caller can check scope before saying it exists), or undefined.
   */
  readingBack(callId: string): { campaignId?: string } | undefined {
    const pending = this.pendingEnded.get(callId);
    if (!pending) return undefined;
    return pending.campaignId !== undefined ? { campaignId: pending.campaignId } : {};
  }

  /** Settles once every ended call a restart found is read back (or the service drains). */
  get endedReadBack(): Promise<void> {
    return this.endedRead;
  }

  /**
   * Makes a change current: the new state is kept, subscribers hear of it now (before the
   * database write finishes), and the promise settles once the write is committed.
   */
  private commit(callId: string, state: CallState, mutations: readonly Mutation[]): Promise<void> {
    // The call's own row goes out as a patch against the version subscribers already hold.
    let heldCall = this.calls.get(callId)?.snapshot.liveCall as Document | undefined;
    // An ended call accepts no more events, and a resend is answered from the event log
    // (answerAfterEnd): what only a live call uses need not stay for the retention hour.
    if (state.snapshot.liveCall.status === 'ended') state = forEndedCall(state);
    this.calls.set(callId, state);
    if (mutations.length > 0) {
      const changes: CallChange[] = [];
      for (const { table, doc } of mutations) {
        if (!PUBLISHED_TABLES.has(table)) continue;
        if (table !== 'liveCalls') {
          changes.push({ table, doc: doc as unknown as Document });
        } else if (heldCall === undefined) {
          // The phone never changes after the start, so no patch carries it.
          changes.push({ table, doc: callForScreens(doc as LiveCall) as unknown as Document });
        } else {
          const patch = diffDocument(table, heldCall, doc as unknown as Document);
          if (patch) changes.push(patch);
        }
        if (table === 'liveCalls') heldCall = doc as unknown as Document;
      }
      this.options.bus.publish({ callId, changes, entry: this.rowOf(callId, state.snapshot) });
    }
    return this.options.writer.write(mutations).catch((error: unknown) => {
      // An outage keeps the writes queued and retried; a refusal drops them, and what memory
      // and the subscribers hold must go back to what was stored.
      if (!isOutage(error)) void this.reload(callId);
      throw error;
    });
  }

  /**
   * Puts a call back to what the store holds, after the database refused one of its writes.
   * Otherwise the refused change would stay in memory: subscribers would keep seeing it, and
   * its events would count as received, so a resend would be acknowledged as a duplicate of
   * something never stored. New work on the call gets 503 until the reload is done.
   */
  private reload(callId: string): Promise<void> {
    const running = this.reloading.get(callId);
    if (running) return running;
    const reloading = this.restore(callId)
      .catch((error: unknown) =>
        this.options.logger.error(
          { err: error, callId },
          'reload after a refused write failed; the call keeps its state in memory',
        ),
      )
      .finally(() => this.reloading.delete(callId));
    this.reloading.set(callId, reloading);
    return reloading;
  }

  private async restore(callId: string): Promise<void> {
    // Everything queued before now settles first: then the store holds all it will of the call.
    await this.options.writer.write([]).catch(() => undefined);
    const held = this.calls.get(callId);
    if (!held) return;
    const state = await this.read(held.snapshot.liveCall._id);
    this.rows.delete(callId);
    if (!state) {
      // The call's own first row was refused: as far as the store knows, it never started.
      this.calls.delete(callId);
      const entry = wallboardEntry(held.snapshot);
      this.options.bus.publish({ callId, changes: [], entry, removed: true });
    } else {
      this.calls.set(callId, state);
      const entry = this.rowOf(callId, state.snapshot);
      this.options.bus.publish({ callId, changes: [], entry, reset: state.snapshot });
    }
    this.options.logger.warn({ callId }, 'call reloaded from the store after a refused write');
  }

  /** The call's wallboard row: the one last published when nothing it shows has changed. */
  private rowOf(callId: string, snapshot: CallSnapshot): WallboardEntry {
    const row = this.rows.get(callId);
    const entry = wallboardEntryAfter(snapshot, row);
    if (row) {
      row.snapshot = snapshot;
      row.entry = entry;
    } else this.rows.set(callId, { snapshot, entry });
    return entry;
  }

  /**
   * Reads back every call the store still holds: the live ones before it resolves, the ended
   * ones (within the retention hour, often thousands) after it, in the background, unless
   * `endedInBackground` is false. A restarted process so serves its live calls in the time it
   * takes to read those, not every call of the last hour (decision 0036). Each ended call read
   * is published, so wallboards gain its row.
   */
  async load(options: { endedInBackground?: boolean } = {}): Promise<{
    live: number;
    ended: number;
  }> {
    const rows = await this.options.store.database.db
      .select({
        id: liveCalls._id,
        callId: liveCalls.callId,
        status: liveCalls.status,
        campaignId: liveCalls.campaignId,
      })
      .from(liveCalls);
    // A site has a few campaigns and thousands of calls: each campaign is read once.
    const campaigns = new Map<string, Promise<Campaign | undefined>>();
    const campaignOf = (id: string) => {
      let campaign = campaigns.get(id);
      if (!campaign) campaigns.set(id, (campaign = this.options.store.campaigns.get(id)));
      return campaign;
    };
    const live = rows.filter((row) => row.status !== 'ended');
    const ended = rows.filter((row) => row.status === 'ended');
    const keep = (state: CallState) => this.calls.set(state.snapshot.liveCall.callId, state);
    if (options.endedInBackground === false) {
      await this.readEach(rows, campaignOf, keep);
      return { live: live.length, ended: ended.length };
    }
    await this.readEach(live, campaignOf, keep);
    for (const { id, callId, campaignId } of ended)
      this.pendingEnded.set(callId, campaignId ? { id, campaignId } : { id });
    if (ended.length > 0)
      this.endedRead = this.readEnded(campaignOf).catch((error: unknown) => {
        // Not expected (each read's failure is handled inside); the calls left are not kept.
        this.pendingEnded.clear();
        this.options.logger.error({ err: error }, 'reading back ended calls stopped');
      });
    return { live: live.length, ended: ended.length };
  }

  /** Reads calls by row id, several at once: on PostgreSQL on as many connections. */
  private async readEach(
    rows: ReadonlyArray<{ id: string }>,
    campaignOf: (campaignId: string) => Promise<Campaign | undefined>,
    each: (state: CallState) => void,
  ): Promise<void> {
    let next = 0;
    const reader = async () => {
      while (next < rows.length) {
        const state = await this.read(rows[next++]!.id, campaignOf);
        if (state) each(state);
      }
    };
    await Promise.all(Array.from({ length: LOAD_CONCURRENCY }, reader));
  }

  /**
   * The background part of `load`, several reads at once. A call swept meanwhile is left out.
   * While the database is unreachable, the reads stop and start again a second later with
   * whatever is still pending, so no call stays answered 503 for good. A call that cannot be
   * read for another reason is logged and left out (a 404 from then on), rather than tried for
   * ever. Drain stops it: reads under way finish, and what they read is not kept.
   */
  private async readEnded(
    campaignOf: (campaignId: string) => Promise<Campaign | undefined>,
  ): Promise<void> {
    const total = this.pendingEnded.size;
    const started = performance.now();
    let reported = started;
    let outage: unknown;
    let queue: string[] = [];
    let next = 0;
    const reader = async () => {
      while (next < queue.length && !this.stopping && outage === undefined) {
        const callId = queue[next++]!;
        const pending = this.pendingEnded.get(callId);
        if (!pending) continue; // swept meanwhile
        try {
          const state = await this.read(pending.id, campaignOf);
          // No longer pending: swept while it was being read.
          if (this.stopping || !this.pendingEnded.delete(callId) || !state) continue;
          this.calls.set(callId, state);
          this.options.bus.publish({
            callId,
            changes: [],
            entry: this.rowOf(callId, state.snapshot),
          });
        } catch (error) {
          if (isOutage(error)) {
            outage = error;
            return;
          }
          this.pendingEnded.delete(callId);
          this.options.logger.error(
            { err: error, callId },
            'an ended call could not be read back; it is left out',
          );
        }
        if (performance.now() - reported >= 5_000) {
          reported = performance.now();
          this.options.logger.info(
            { read: total - this.pendingEnded.size, of: total },
            'reading back ended calls',
          );
        }
      }
    };
    for (;;) {
      outage = undefined;
      queue = [...this.pendingEnded.keys()];
      next = 0;
      await Promise.all(Array.from({ length: LOAD_CONCURRENCY }, reader));
      if (outage === undefined || this.stopping) break;
      this.options.logger.warn(
        { err: outage, pending: this.pendingEnded.size },
        'reading back ended calls: the database is unavailable; retrying in a second',
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    if (!this.stopping)
      this.options.logger.info(
        { ended: total, seconds: Math.round(performance.now() - started) / 1000 },
        'read back the ended calls',
      );
    this.pendingEnded.clear();
  }

  /** A call's state as the store holds it (by its row's `_id`), or undefined. */
  private async read(
    id: string,
    campaignOf = (campaignId: string) => this.options.store.campaigns.get(campaignId),
  ): Promise<CallState | undefined> {
    const snapshot = await this.options.store.calls.read(id);
    if (!snapshot) return undefined;
    // An ended call needs only its start's hash (a repeated start); resends of its events are
    // answered from the log (answerAfterEnd).
    const ended = snapshot.liveCall.status === 'ended';
    const events = await this.options.store.database.db
      .select({ seq: callEvents.seq, hash: callEvents.hash, receivedAt: callEvents.receivedAt })
      .from(callEvents)
      .where(
        ended
          ? and(eq(callEvents.liveCallId, id), eq(callEvents.seq, START_SEQ))
          : eq(callEvents.liveCallId, id),
      );
    const seen = new SeenEvents();
    let start = '';
    // When the call last sent something: the stale countdown goes on from there. The call's
    // row is no guide, since the metrics ticker rewrites it every few seconds.
    let lastEventAt = 0;
    for (const event of events) {
      if (event.seq === START_SEQ) start = event.hash;
      else seen.set(event.seq, event.hash);
      lastEventAt = Math.max(lastEventAt, event.receivedAt);
    }
    const campaign = snapshot.liveCall.campaignId
      ? await campaignOf(snapshot.liveCall.campaignId)
      : undefined;
    // The policy the call started with, if stored (calls started before it was kept have
    // none, and take their campaign's as it is now). An ended call needs it too: notes and
    // flags are taken, and redacted, for the hour its rows are kept.
    const [started] = await this.options.store.database.db
      .select({ policy: callRedactionPolicies.policy })
      .from(callRedactionPolicies)
      .where(eq(callRedactionPolicies.liveCallId, id));
    return restoreCall(
      snapshot,
      campaign?.script,
      seen,
      start,
      started ? { redaction: started.policy } : campaign,
      lastEventAt || undefined,
    );
  }

  /**
   * Starts a call. Starting the same callId again with the same body changes nothing;
   * with a different body it is a 409.
   */
  async start(request: StartCallRequest): Promise<{ call: LiveCall; created: boolean }> {
    this.ensureWritable(request.callId);
    if (this.pendingEnded.has(request.callId)) throw stillReadingBack(request.callId);
    const existing = this.calls.get(request.callId);
    if (existing) {
      if (existing.startHash !== startHash(request)) {
        throw new EarshotError(
          'conflict',
          `Call ${request.callId} was already started with a different body`,
          {
            fields: [{ field: 'callId', message: 'Already started with different details' }],
          },
        );
      }
      await this.options.writer.write([]);
      return { call: existing.snapshot.liveCall, created: false };
    }
    const campaign = await this.findCampaign(request);
    const ctx = this.context();
    const { state, mutations } = startCall(request, campaign, ctx);
    // Checked again: another start of this callId may have landed while we looked up the campaign.
    if (this.calls.has(request.callId)) return this.start(request);
    const startRecord: Mutation = {
      table: 'callEvents',
      doc: {
        liveCallId: state.snapshot.liveCall._id,
        seq: START_SEQ,
        type: 'start',
        hash: state.startHash,
        receivedAt: ctx.now,
      },
    };
    await this.commit(request.callId, state, [...mutations, startRecord]);
    return { call: state.snapshot.liveCall, created: true };
  }

  private async findCampaign(request: StartCallRequest) {
    if (request.campaignId) {
      const campaign = await this.options.store.campaigns.get(request.campaignId);
      if (!campaign) {
        throw new EarshotError('validation', `No campaign ${request.campaignId}`, {
          fields: [{ field: 'campaignId', message: 'No such campaign' }],
        });
      }
      return campaign;
    }
    // By name: a name without a campaign is accepted (the call just has no script).
    return request.campaignName
      ? this.options.store.campaigns.findByName(request.campaignName)
      : undefined;
  }

  /**
   * One streaming-ingest frame (`{"events":[...]}`): parsed and validated here, applied at
   * once, answered once committed. A refused frame is answered with its problem and the
   * frame's last seq; it never rejects.
   *
   * Not an async function, nor is `ingest`: an async function keeps every local alive until it
   * returns, and these wait for the commit. Here that was the frame's text, its parsed form,
   * the call's previous state and the whole result: garbage the moment the event was applied,
   * kept for as long as the database took. On a busy server thousands of events wait at once,
   * and all of that survived young collections, which copy what survives (docs/benchmarks.md).
   * What waits now is the answer alone.
   */
  ingestFrame(callId: string, text: string): Promise<StreamAnswer> {
    let events: IngestEvent[];
    try {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new EarshotError('validation', 'Frame is not valid JSON', {
          fields: [{ field: '(frame)', message: 'Malformed JSON' }],
        });
      }
      events = parseOrThrow(eventBatchRequest, parsed, 'frame').events;
    } catch (error) {
      this.counts.batchesRefused += 1;
      return Promise.resolve(refusedFrame(error, undefined));
    }
    const lastSeq = events.at(-1)?.seq;
    return this.ingest(callId, events).then(
      (response): StreamAnswer => ({ type: 'ack', ...response }),
      (error: unknown) => refusedFrame(error, lastSeq),
    );
  }

  /** Applies a batch of events, all or nothing, and resolves once it is committed. */
  ingest(callId: string, events: readonly IngestEvent[]): Promise<EventBatchResponse> {
    try {
      return this.applyBatch(callId, events);
    } catch (error) {
      this.counts.batchesRefused += 1;
      return Promise.reject(error);
    }
  }

  /** The synchronous part of `ingest`; the promise it returns holds only the response. */
  private applyBatch(callId: string, events: readonly IngestEvent[]): Promise<EventBatchResponse> {
    this.ensureWritable(callId);
    const state = this.get(callId);
    if (state.snapshot.liveCall.status === 'ended') return this.answerAfterEnd(state, events);
    const result = applyEvents(state, events, this.context());
    if (result.redactionFailures.length > 0) {
      // Counted and logged by seq only: the text never reaches the log.
      this.counts.redactionFailures += result.redactionFailures.length;
      this.options.logger.error(
        { callId, seqs: result.redactionFailures, total: this.counts.redactionFailures },
        'redaction failed; transcript chunks dropped unstored (or pipeline coaching, next actions, phase or objective names)',
      );
    }
    for (const { seq, hash } of result.accepted) result.state.seen.set(seq, hash);
    this.counts.eventsAccepted += result.accepted.length;
    this.counts.eventsDuplicate += result.duplicates;
    const response: EventBatchResponse = {
      accepted: result.accepted.length,
      duplicates: result.duplicates,
      lastSeq: lastSeqOf(events),
    };
    return this.commit(callId, result.state, result.mutations).then(() => response);
  }

  /**
   * A batch for an ended call. Nothing more is accepted, but a resend of events the call
   * accepted before it ended is answered as duplicates: the engine checks the batch against
   * the hashes of those events, read from the event log rather than held in memory.
   */
  private async answerAfterEnd(
    state: CallState,
    events: readonly IngestEvent[],
  ): Promise<EventBatchResponse> {
    const call = state.snapshot.liveCall;
    try {
      // What was accepted before the end may still be on its way to the log.
      await this.options.writer.write([]);
      const rows = await this.options.store.database.db
        .select({ seq: callEvents.seq, hash: callEvents.hash })
        .from(callEvents)
        .where(
          and(
            eq(callEvents.liveCallId, call._id),
            inArray(
              callEvents.seq,
              events.map((event) => event.seq),
            ),
          ),
        );
      const seen = new SeenEvents();
      for (const row of rows) seen.set(row.seq, row.hash);
      // An ended call accepts nothing: this answers duplicates, or throws the engine's 409.
      const { duplicates } = applyEvents({ ...state, seen }, events, this.context());
      this.counts.eventsDuplicate += duplicates;
      return { accepted: 0, duplicates, lastSeq: lastSeqOf(events) };
    } catch (error) {
      this.counts.batchesRefused += 1;
      throw toEarshotError(error);
    }
  }

  /**
   * Records a supervisor's action on a call held by this process (live, or ended within
   * retention), and resolves with the row once it is committed. The audit entry is one more
   * row of the same commit: the action, its outbox row and its entry land together or not at
   * all, so no action reaches the voice platform unrecorded.
   */
  async act(callId: string, input: ActInput, audit?: ActionAudit): Promise<ActResult> {
    this.ensureWritable(callId);
    const ctx = this.context();
    const state = this.get(callId);
    const { idempotencyKey, ...rest } = input;
    // Derived here, from the call this host holds: per live call, not per callId, so a callId
    // that comes back for another call once the first one's rows expired takes fresh ids.
    const id =
      idempotencyKey === undefined
        ? undefined
        : actionIdFor(input.supervisorId, state.snapshot.liveCall._id, idempotencyKey);
    const result = recordSupervisorAction(
      state,
      {
        ...rest,
        deliver: this.options.platformConfigured ?? false,
        ...(id !== undefined ? { id } : {}),
      },
      ctx,
    );
    const mutations = result.mutations;
    if (mutations.length === 0) {
      // A retry (same Idempotency-Key): the first request's action is held in memory from the
      // moment it was applied, but "taken" is only true once it is committed. If that commit
      // is refused, the retry fails with it, and the reloaded call no longer holds the action,
      // so the next retry takes it afresh. It is not audited again: it changes nothing.
      await this.actionCommits.get(result.action._id);
      return { action: result.action, retried: true };
    }
    if (audit) {
      // Who did what to which call; never the details, which may quote the customer.
      const entry = auditRow(
        {
          event: 'supervisor_action',
          actor: audit.actor,
          target: callId,
          detail: { action: result.action.action, actionId: result.action._id },
          ...(audit.ip !== undefined ? { ip: audit.ip } : {}),
        },
        ctx.now,
      );
      mutations.push({
        table: 'auditLog',
        doc: { _id: ctx.newId(), _creationTime: ctx.now, ...entry },
      });
    }
    const committed = this.commit(callId, result.state, mutations);
    if (id !== undefined) {
      this.actionCommits.set(id, committed);
      const forget = () => this.actionCommits.delete(id);
      committed.then(forget, forget);
    }
    await committed;
    return { action: result.action, retried: false };
  }

  /** Records an action's delivery state (from the outbox dispatcher) and publishes it. */
  async recordDelivery(callId: string, actionId: string, delivery: ActionDelivery): Promise<void> {
    await this.reloading.get(callId); // applied to the reloaded state, not the one it replaces
    const state = this.calls.get(callId);
    if (!state) return; // the call's live rows are gone (retention); the outbox row says it all
    const result = setActionDelivery(state, actionId, delivery);
    if (result.mutations.length > 0) await this.commit(callId, result.state, result.mutations);
  }

  /** Rows applied in memory and waiting for the database. */
  get writeBacklog(): number {
    return this.options.writer.backlog;
  }

  get writable(): boolean {
    return this.options.writer.available;
  }

  flush(): Promise<void> {
    return this.options.writer.flush();
  }

  async drain(): Promise<void> {
    this.stopping = true;
    await this.endedRead;
    return this.options.writer.drain();
  }

  /** Ends a call with a reason; ending it again with the same reason changes nothing. */
  async end(callId: string, reason: EndReason): Promise<LiveCall> {
    this.ensureWritable(callId);
    const result = endCall(this.get(callId), reason, this.context());
    await this.commit(callId, result.state, result.mutations);
    return result.state.snapshot.liveCall;
  }

  /** The whole call as this process holds it (transcripts in order). */
  snapshot(callId: string): CallSnapshot | undefined {
    const state = this.calls.get(callId);
    if (!state) return undefined;
    return {
      ...state.snapshot,
      liveTranscripts: [...state.snapshot.liveTranscripts].sort((a, b) => a.order - b.order),
    };
  }

  liveCalls(): LiveCall[] {
    return [...this.calls.values()].map((s) => s.snapshot.liveCall);
  }

  callSnapshot(callId: string): CallSnapshot | undefined {
    return this.snapshot(callId);
  }

  wallboardEntries(): WallboardEntry[] {
    return [...this.calls.values()].map((s) => wallboardEntry(s.snapshot));
  }

  /** Adds an outside adviser's coaching and next actions to a call, if it is still live. */
  async advise(callId: string, advice: OutsideAdvice): Promise<void> {
    const state = this.calls.get(callId);
    if (!state || !this.options.writer.available || this.reloading.has(callId)) return;
    const result = addAdvice(state, advice, this.context());
    if (result.mutations.length > 0) await this.commit(callId, result.state, result.mutations);
  }

  /**
   * The metrics pass: every connected call gets its tick (metrics row, time-based coaching,
   * next actions), or, with `part`, the calls in that part of `part.of` (by a hash of the
   * callId, so a call always falls in the same part). Skipped while the database is
   * unavailable; resolves to the calls ticked.
   */
  async tickAll(part?: TickPart): Promise<number> {
    if (!this.options.writer.available) return 0;
    const commits: Array<Promise<void>> = [];
    for (const [callId, state] of this.calls) {
      if (part && tickPartOf(callId, part.of) !== part.index) continue;
      if (this.reloading.has(callId)) continue;
      const result = tick(state, this.context());
      if (result.mutations.length > 0)
        commits.push(this.commit(callId, result.state, result.mutations));
    }
    await Promise.all(commits);
    return commits.length;
  }

  /**
   * Ends, with reason "stale", every live call that has sent nothing for `staleAfterMs`, as of
   * its last event. Each call is checked again just before it is ended: while earlier ones
   * commit, an event or an end may arrive for it. One call that cannot be ended (the database
   * refused it) is logged and left for the next pass; the rest are still ended.
   */
  async endStale(staleAfterMs: number): Promise<string[]> {
    const isStale = (callId: string, state: CallState | undefined): state is CallState =>
      state !== undefined &&
      state.snapshot.liveCall.status !== 'ended' &&
      this.clock() - state.lastEventAt > staleAfterMs &&
      !this.reloading.has(callId);
    const candidates = [...this.calls.entries()]
      .filter(([callId, state]) => isStale(callId, state))
      .map(([callId]) => callId);
    const ended: string[] = [];
    for (const callId of candidates) {
      const state = this.calls.get(callId);
      if (!isStale(callId, state)) continue;
      try {
        const result = endCall(state, 'stale', this.context(), state.lastEventAt);
        await this.commit(callId, result.state, result.mutations);
        ended.push(callId);
        this.options.logger.info({ callId }, 'ended stale call');
      } catch (error) {
        this.options.logger.warn(
          { err: error, callId },
          'could not end stale call; next pass retries',
        );
      }
    }
    return ended;
  }

  /**
   * Deletes the live rows of calls that ended more than `retentionMs` ago (analytics and
   * archive stay), and forgets them here. Runs under a database lock, so several processes
   * may sweep at once: one does the work, the others skip.
   */
  async sweep(retentionMs: number): Promise<{ deleted: number; skipped: boolean }> {
    const cutoff = new Date(this.clock() - retentionMs).toISOString();
    const swept = await this.options.store.database.withLock('retention-sweep', (db) =>
      db
        .delete(liveCalls)
        .where(
          and(
            eq(liveCalls.status, 'ended'),
            lt(liveCalls.endedAt, cutoff),
            ne(liveCalls.endedAt, sql`''`),
          ),
        )
        .returning({ callId: liveCalls.callId }),
    );
    // Forget swept calls, including any another process swept (or, when this pass was
    // skipped, is sweeping now) that this one still remembers: they are past retention.
    const gone = new Set((swept ?? []).map((row) => row.callId));
    for (const [callId, state] of this.calls) {
      const endedAt = state.snapshot.liveCall.endedAt;
      if (endedAt !== undefined && endedAt < cutoff) gone.add(callId);
    }
    // Swept before a restart read them back: gone, not pending.
    for (const callId of gone) this.pendingEnded.delete(callId);
    for (const callId of gone) {
      const state = this.calls.get(callId);
      if (!state) continue;
      this.calls.delete(callId);
      this.rows.delete(callId);
      this.options.bus.publish({
        callId,
        changes: [],
        entry: wallboardEntry(state.snapshot),
        removed: true,
      });
    }
    if (swept === undefined) return { deleted: 0, skipped: true };
    return { deleted: swept.length, skipped: false };
  }
}
