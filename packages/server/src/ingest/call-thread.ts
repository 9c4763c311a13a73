// The live calls on a worker thread (--engine-thread, PostgreSQL only). The worker runs the
// CallService as it runs on the main thread: the engine, the write-behind and its own
// database pool. The main thread keeps the sockets, the hub and a replica of every call,
// built from the same changes subscribers receive, so snapshots are read synchronously and a
// snapshot and the stream after it still never gap: updates and replies come through one
// message port, in order, and the replica and the hub apply each update in the same task.
import { Worker } from 'node:worker_threads';
import {
  snapshotForScreens,
  wallboardEntry,
  type OutsideAdvice,
  type WallboardEntry,
} from '@earshot/engine';
import {
  applyCallChangesInPlace,
  emptySnapshot,
  EarshotError,
  type CallSnapshot,
  type EndReason,
  type ErrorKind,
  type EventBatchResponse,
  type FieldIssue,
  type IngestEvent,
  type LiveCall,
  type StartCallRequest,
} from '@earshot/protocol';
import type { Logger } from 'pino';
import type { CallUpdate, RealtimeBus } from '../realtime/bus.ts';
import type { DatabaseTarget } from '../store/index.ts';
import type { ActInput } from './action-idempotency.ts';
import type {
  ActionAudit,
  ActionDelivery,
  ActResult,
  CallHost,
  IngestStats,
  StreamAnswer,
  TickPart,
} from './call-host.ts';

/** What the worker is started with (plain data: it crosses the thread). */
export interface CallThreadSettings {
  target: DatabaseTarget;
  flushIntervalMs: number;
  platformConfigured: boolean;
  logLevel: string;
}

/** The worker's state that the main thread reads synchronously, sent with every message. */
export interface CallThreadStatus {
  writeBacklog: number;
  writable: boolean;
  stats: IngestStats;
}

export interface SerializedError {
  kind: ErrorKind;
  message: string;
  fields: FieldIssue[];
  retryAfter: number | undefined;
}

/** Main thread → worker (in batches: arrays of these, in order). */
export type ToCallThread =
  { type: 'call'; id: number; method: RemoteMethod; args: unknown[] } | { type: 'stop' };

/** Worker → main thread (in batches: arrays of these, in order). */
export type FromCallThread =
  | { type: 'ready'; snapshots: CallSnapshot[]; status: CallThreadStatus }
  | { type: 'update'; update: CallUpdate; status: CallThreadStatus }
  | {
      type: 'reply';
      id: number;
      value?: unknown;
      error?: SerializedError;
      status: CallThreadStatus;
    }
  | { type: 'log'; line: string }
  | { type: 'failed'; error: SerializedError }
  | { type: 'stopped' };

/** The CallHost methods that run on the worker. */
export const REMOTE_METHODS = [
  'start',
  'ingest',
  'ingestFrame',
  'act',
  'recordDelivery',
  'end',
  'advise',
  'tickAll',
  'endStale',
  'sweep',
  'flush',
  'drain',
] as const;
export type RemoteMethod = (typeof REMOTE_METHODS)[number];

const WORKER_URL = new URL('./call-thread-worker.js', import.meta.url);

export class CallThread implements CallHost {
  private readonly replicas = new Map<string, CallSnapshot>();
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: unknown) => void }
  >();
  private nextId = 1;
  private status: CallThreadStatus = {
    writeBacklog: 0,
    writable: true,
    stats: {
      eventsAccepted: 0,
      eventsDuplicate: 0,
      batchesRefused: 0,
      redactionFailures: 0,
      commits: 0,
      mutationsCommitted: 0,
      failedCommits: 0,
      commitSeconds: 0,
    },
  };
  private stopped = false;
  private closing = false;
  private exited: Promise<void>;
  /**
   * Settles (with an error naming the exit code) if the thread stops without being closed: a
   * crash. Ingest answers 503 from then on; `earshot serve` exits so that a supervisor
   * restarts it, and the restart restores every call from the database. Never settles on a
   * clean close.
   */
  readonly lost: Promise<Error>;
  private onLost: ((error: Error) => void) | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly bus: RealtimeBus,
    private readonly logger: Logger,
  ) {
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    this.lost = new Promise((resolve) => (this.onLost = resolve));
    worker.on('message', (batch: FromCallThread[]) => {
      for (const message of batch) this.onMessage(message);
    });
    worker.on('error', (error) => this.logger.error({ err: error }, 'call thread failed'));
    worker.once('exit', (code) => {
      if (!this.closing) {
        this.logger.fatal({ code }, 'call thread exited; ingest is unavailable');
        this.onLost?.(new Error(`The call thread exited (code ${code})`));
      }
      this.stopped = true;
      this.status = { ...this.status, writable: false };
      for (const { reject } of this.pending.values())
        reject(new EarshotError('unavailable', 'The call thread stopped', { retryAfter: 1 }));
      this.pending.clear();
    });
  }

  /** Starts the worker and resolves once it has restored the store's calls. */
  static async open(
    settings: CallThreadSettings,
    bus: RealtimeBus,
    logger: Logger,
  ): Promise<CallThread> {
    const worker = new Worker(WORKER_URL, { workerData: settings });
    const thread = new CallThread(worker, bus, logger);
    try {
      await new Promise<void>((resolve, reject) => {
        thread.onReady = resolve;
        thread.onFailed = reject;
        worker.once('exit', (code) =>
          reject(new Error(`The call thread exited (code ${code}) before it was ready`)),
        );
      });
    } catch (error) {
      thread.closing = true;
      await worker.terminate();
      throw error;
    }
    return thread;
  }

  private onReady: (() => void) | undefined;
  private onFailed: ((error: unknown) => void) | undefined;
  private onStopped: (() => void) | undefined;

  private onMessage(message: FromCallThread): void {
    switch (message.type) {
      case 'update':
        this.status = message.status;
        this.applyToReplica(message.update);
        this.bus.publish(message.update);
        return;
      case 'reply': {
        this.status = message.status;
        const call = this.pending.get(message.id);
        if (!call) return;
        this.pending.delete(message.id);
        if (message.error) call.reject(revive(message.error));
        else call.resolve(message.value);
        return;
      }
      case 'log':
        return this.relayLog(message.line);
      case 'ready':
        this.status = message.status;
        // Replicas hold the calls as screens get them (the phone masked), as the changes that
        // keep them current do.
        for (const snapshot of message.snapshots)
          this.replicas.set(snapshot.liveCall.callId, snapshotForScreens(snapshot));
        this.onReady?.();
        return;
      case 'failed':
        this.onFailed?.(revive(message.error));
        return;
      case 'stopped':
        this.onStopped?.();
        return;
    }
  }

  private applyToReplica(update: CallUpdate): void {
    if (update.removed) {
      this.replicas.delete(update.callId);
      return;
    }
    if (update.reset) {
      this.replicas.set(update.callId, snapshotForScreens(update.reset));
      return;
    }
    let replica = this.replicas.get(update.callId);
    if (!replica) {
      const call = update.changes.find((c) => c.table === 'liveCalls' && 'doc' in c);
      if (!call || !('doc' in call)) return; // nothing to hold yet: the call's first update carries its whole liveCalls row
      replica = emptySnapshot(call.doc as unknown as LiveCall);
      this.replicas.set(update.callId, replica);
    }
    applyCallChangesInPlace(replica, update.changes);
  }

  /** A pino line from the worker, logged again here (level, message and fields kept). */
  private relayLog(line: string): void {
    try {
      const {
        level,
        msg,
        time: _time,
        pid: _pid,
        hostname: _host,
        ...fields
      } = JSON.parse(line) as Record<string, unknown>;
      const label = this.logger.levels.labels[Number(level)] ?? 'info';
      (this.logger as unknown as Record<string, (o: object, m?: unknown) => void>)[label]!(
        fields,
        msg,
      );
    } catch {
      this.logger.info({ line }, 'call thread');
    }
  }

  private call<T>(method: RemoteMethod, ...args: unknown[]): Promise<T> {
    if (this.stopped)
      return Promise.reject(
        new EarshotError('unavailable', 'The call thread stopped', { retryAfter: 1 }),
      );
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.send({ type: 'call', id, method, args });
    });
  }

  private outbox: ToCallThread[] = [];

  /** Queues a message; the queue goes as one batch at the end of this turn of the event loop. */
  private send(message: ToCallThread): void {
    if (this.outbox.push(message) > 1) return;
    setImmediate(() => {
      const batch = this.outbox;
      this.outbox = [];
      this.worker.postMessage(batch);
    });
  }

  start(request: StartCallRequest): Promise<{ call: LiveCall; created: boolean }> {
    return this.call('start', request);
  }
  ingest(callId: string, events: readonly IngestEvent[]): Promise<EventBatchResponse> {
    return this.call('ingest', callId, events);
  }
  ingestFrame(callId: string, text: string): Promise<StreamAnswer> {
    return this.call('ingestFrame', callId, text);
  }
  act(callId: string, input: ActInput, audit?: ActionAudit): Promise<ActResult> {
    return this.call('act', callId, input, audit);
  }
  recordDelivery(callId: string, actionId: string, delivery: ActionDelivery): Promise<void> {
    return this.call('recordDelivery', callId, actionId, delivery);
  }
  end(callId: string, reason: EndReason): Promise<LiveCall> {
    return this.call('end', callId, reason);
  }
  advise(callId: string, advice: OutsideAdvice): Promise<void> {
    return this.call('advise', callId, advice);
  }
  tickAll(part?: TickPart): Promise<number> {
    return this.call('tickAll', part);
  }
  endStale(staleAfterMs: number): Promise<string[]> {
    return this.call('endStale', staleAfterMs);
  }
  sweep(retentionMs: number): Promise<{ deleted: number; skipped: boolean }> {
    return this.call('sweep', retentionMs);
  }
  flush(): Promise<void> {
    return this.call('flush');
  }
  drain(): Promise<void> {
    return this.stopped ? Promise.resolve() : this.call('drain');
  }

  snapshot(callId: string): CallSnapshot | undefined {
    const replica = this.replicas.get(callId);
    if (!replica) return undefined;
    // Lists copied: the replica changes in place with the next update.
    return {
      ...replica,
      liveTranscripts: [...replica.liveTranscripts],
      callObjectives: [...replica.callObjectives],
      nextActions: [...replica.nextActions],
      livePerformanceMetrics: [...replica.livePerformanceMetrics],
      supervisorActions: [...replica.supervisorActions],
      coachingRecommendations: [...replica.coachingRecommendations],
      callPhases: [...replica.callPhases],
    };
  }
  callSnapshot(callId: string): CallSnapshot | undefined {
    return this.snapshot(callId);
  }
  liveCalls(): LiveCall[] {
    return [...this.replicas.values()].map((replica) => replica.liveCall);
  }
  wallboardEntries(): WallboardEntry[] {
    return [...this.replicas.values()].map((replica) => wallboardEntry(replica));
  }

  /**
   * The thread's rows waiting for the database, plus the requests it has not answered yet:
   * ingest sockets stop being read on either, so the thread cannot fall ever further behind
   * with frames queued in its message port.
   */
  get writeBacklog(): number {
    return this.status.writeBacklog + this.pending.size;
  }
  get writable(): boolean {
    return this.status.writable;
  }
  /** As of the thread's last message (each update and reply carries them). */
  get stats(): IngestStats {
    return this.status.stats;
  }

  /** Drains and closes the worker's write-behind and database, then ends the thread. */
  async close(): Promise<void> {
    this.closing = true;
    if (!this.stopped) {
      const stopped = new Promise<void>((resolve) => (this.onStopped = resolve));
      this.send({ type: 'stop' });
      await Promise.race([stopped, this.exited]);
      this.stopped = true;
    }
    await this.worker.terminate();
    await this.exited;
  }
}

export function serializeError(error: EarshotError): SerializedError {
  return {
    kind: error.kind,
    message: error.message,
    fields: error.fields,
    retryAfter: error.retryAfter,
  };
}

function revive(error: SerializedError): EarshotError {
  return new EarshotError(error.kind, error.message, {
    fields: error.fields,
    ...(error.retryAfter !== undefined ? { retryAfter: error.retryAfter } : {}),
  });
}
