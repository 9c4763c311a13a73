// The hub: turns call updates from the bus into versioned topic streams and fans them out to
// sessions. Each topic (one call, or the wallboard) has a version that grows by one per
// change and a bounded history, so a reconnecting client gets exactly what it missed or is
// told to resync. A snapshot and the stream after it never gap: updates arrive synchronously
// and the snapshot is read in the same tick as its version.
import { sameWallboardEntry, wallboardPatch, type WallboardEntry } from '@earshot/engine';
import type {
  CallChange,
  CallSnapshot,
  WallboardChange,
  WallboardFilter,
  WallboardPatch,
} from '@earshot/protocol';
import type { CallUpdate, RealtimeBus } from './bus.ts';
import type { Session, Watcher } from './session.ts';

export interface SnapshotSource {
  callSnapshot(callId: string): CallSnapshot | undefined;
  wallboardEntries(): WallboardEntry[];
  /** An ended call a restart has not read back yet, with its campaign (CallService.readingBack). */
  readingBack?(callId: string): { campaignId?: string } | undefined;
}

export type TopicChange = CallChange | WallboardChange;

/**
 * One call's wallboard row changed. What a wallboard subscriber is sent of it depends on
 * whether its view held the row before and holds it now (campaign scope and filter): the
 * whole row, a patch, a removal, or nothing.
 */
export interface RowChange {
  callId: string;
  /** The row before the change; undefined for a call new to the board. */
  before: WallboardEntry | undefined;
  /** The row after it; undefined when the call left the board. */
  after: WallboardEntry | undefined;
  /** The whole change (the row as upsert, or the removal) and its JSON: what the log holds. */
  change: WallboardChange;
  json: string;
  /** `before` to `after` as a patch, with its JSON: made once for every follower. */
  patch?: { change: WallboardPatch; json: string };
}

export interface LogEntry {
  version: number;
  /** Each change as JSON, the form it is sent in (a call's changes may come as one piece). */
  json: string[];
  /** The changes themselves, kept only where a subscriber's view depends on them (wallboard filters). */
  changes?: TopicChange[];
}

/**
 * A topic's version and its recent changes, oldest first. The changes are held as UTF-8 bytes
 * in one ring buffer per topic, outside the JavaScript heap. Held as strings, each change's
 * JSON lived for the whole history (25 s at 10 changes a second) and was copied by two young
 * collections on its way to the old generation: that history was half of what every young
 * collection copied and most of what the old generation gained (docs/benchmarks.md). Resume
 * is rare, so it pays to decode; appending is one UTF-8 write. The ring keeps its buffer once
 * the history has reached its size: moving the bytes to the front, or into a new buffer, each
 * time the end was reached cost a copy and (new memory) page faults on later writes.
 */
export class TopicLog {
  private bytes = Buffer.allocUnsafeSlow(0);
  /** Where each held version's bytes start and end, oldest first from index `first`. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private first = 0;

  constructor(
    public version: number,
    private readonly limit: number,
    private readonly keepChanges = false,
  ) {}

  private get held(): number {
    return this.starts.length - this.first;
  }

  /** The oldest version held; `version + 1` when none is. */
  get oldestVersion(): number {
    return this.version - this.held + 1;
  }

  /** Whether any version's changes are held (a released log holds none until it is appended to). */
  get holding(): boolean {
    return this.held > 0;
  }

  /**
   * Moves to the next version without holding its changes, and lets go of everything held:
   * a resume from any earlier version gets a resync. For a topic no one could resume exactly.
   */
  advance(): number {
    this.release();
    return (this.version += 1);
  }

  /** Lets go of the held versions and their buffer; the version stays. */
  release(): void {
    this.bytes = Buffer.allocUnsafeSlow(0);
    this.starts.length = 0;
    this.ends.length = 0;
    this.first = 0;
  }

  /** Records one version: its changes' JSON, in order. */
  append(json: readonly string[]): number {
    this.version += 1;
    const text = json.join(',');
    // At most 3 UTF-8 bytes per UTF-16 unit: room is checked without measuring the text.
    const at = this.placeFor(text.length * 3);
    this.starts.push(at);
    this.ends.push(text.length === 0 ? at : at + this.bytes.write(text, at));
    if (this.held > this.limit) this.first += 1;
    // The index arrays are trimmed in steps, so an append does not shift them each time.
    if (this.first >= 1024 || this.first > this.starts.length / 2) {
      this.starts.splice(0, this.first);
      this.ends.splice(0, this.first);
      this.first = 0;
    }
    return this.version;
  }

  /**
   * Where `room` bytes can go without overwriting a held version: after the newest, or at the
   * front once the oldest have moved on from there; otherwise the buffer grows.
   */
  private placeFor(room: number): number {
    if (this.held === 0) {
      if (room > this.bytes.length) this.grow(room);
      return 0;
    }
    const head = this.starts[this.first]!;
    const tail = this.ends[this.ends.length - 1]!;
    const wrapped = this.starts[this.starts.length - 1]! < head;
    if (!wrapped) {
      if (tail + room <= this.bytes.length) return tail;
      if (room <= head) return 0;
    } else if (tail + room <= head) return tail;
    return this.grow(room);
  }

  /** Copies the held versions, in order, to the front of a buffer twice their size; returns where the next goes. */
  private grow(room: number): number {
    let size = 0;
    for (let i = this.first; i < this.starts.length; i++) size += this.ends[i]! - this.starts[i]!;
    const target = Buffer.allocUnsafeSlow(Math.max(4096, 2 * (size + room)));
    let at = 0;
    for (let i = this.first; i < this.starts.length; i++) {
      const start = this.starts[i]!;
      const end = this.ends[i]!;
      this.bytes.copy(target, at, start, end);
      this.starts[i] = at;
      this.ends[i] = at += end - start;
    }
    this.bytes = target;
    return at;
  }

  /** The entries after `version`, or undefined when some of them are no longer held. */
  since(version: number): LogEntry[] | undefined {
    if (version === this.version) return [];
    if (version > this.version) return undefined; // from another server run, or invented
    const oldest = this.oldestVersion;
    if (version < oldest - 1) return undefined;
    const entries: LogEntry[] = [];
    for (let v = version + 1; v <= this.version; v++) {
      const i = this.first + v - oldest;
      const text = this.bytes.toString('utf8', this.starts[i], this.ends[i]);
      if (!this.keepChanges) {
        entries.push({ version: v, json: [text] });
        continue;
      }
      const changes = JSON.parse(`[${text}]`) as TopicChange[];
      entries.push({ version: v, changes, json: changes.map((change) => JSON.stringify(change)) });
    }
    return entries;
  }
}

export interface HubOptions {
  /** Changes kept per call topic for resume. */
  callHistory?: number;
  /** Changes kept for the wallboard topic for resume. */
  wallboardHistory?: number;
  /**
   * First version of every topic, minus one. Defaults to the start time in milliseconds × 1000,
   * so versions from an earlier run of the server are always older than this run's history
   * and a client resuming with one gets a resync.
   */
  versionBase?: number;
  /**
   * How send passes are scheduled: once per event-loop turn, after its socket reads
   * (setImmediate). Tests drive them by hand.
   */
  afterTurn?: (callback: () => void) => void;
  /**
   * Longest a change waits for its send pass, in milliseconds. A turn of a busy server can
   * read hundreds of frames; once changes have waited this long, the next update sends them
   * first rather than after the rest of the turn (decision 0021). Default 4.
   */
  maxHoldMs?: number;
  /**
   * How long a call's history is kept after its last follower leaves, in milliseconds, for
   * a reconnect to resume from. After that, and from the start for a call no one has
   * followed, the call's changes are neither serialised nor held: no one holds a version
   * they could resume from, so any resume would be a resync. Default 60,000.
   */
  idleHistoryMs?: number;
  /** Milliseconds on a monotonic clock (performance.now). */
  clock?: () => number;
}

/** The call a topic key ('call:<callId>') names; undefined for the wallboard. */
function callIdOf(topicKey: string): string | undefined {
  return topicKey.startsWith('call:') ? topicKey.slice('call:'.length) : undefined;
}

export function matchesFilter(entry: WallboardEntry, filter: WallboardFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.status && !filter.status.includes(entry.status)) return false;
  if (filter.campaignId && entry.campaignId !== filter.campaignId) return false;
  if (filter.agentName && entry.agentName !== filter.agentName) return false;
  return true;
}

export class Hub {
  private readonly callLogs = new Map<string, TopicLog>();
  readonly wallboard: TopicLog;
  private readonly entries = new Map<string, WallboardEntry>();
  private readonly sessions = new Set<Session>();
  /** Sessions by the topics they follow, so an update visits only its own subscribers. */
  private readonly watchers = new Map<string, Set<Session>>();
  private readonly unsubscribe: () => void;
  private readonly callHistory: number;
  private readonly versionBase: number;
  /** Sessions with changes queued for the next send pass. */
  private readonly toFlush = new Set<Session>();
  private readonly afterTurn: (callback: () => void) => void;
  private readonly maxHoldMs: number;
  private readonly clock: () => number;
  /** When the first change of the pending send pass was queued. */
  private heldSince = 0;
  /**
   * Calls no one follows, by when their last follower left (-Infinity: never followed). Their
   * history is released once idle for idleHistoryMs (decision 0027).
   */
  private readonly idleSince = new Map<string, number>();
  private readonly idleHistoryMs: number;
  private lastIdleSweep = 0;

  constructor(
    bus: RealtimeBus,
    readonly source: SnapshotSource,
    options: HubOptions = {},
  ) {
    this.callHistory = options.callHistory ?? 250;
    this.versionBase = options.versionBase ?? Date.now() * 1000;
    this.afterTurn = options.afterTurn ?? setImmediate;
    this.maxHoldMs = options.maxHoldMs ?? 4;
    this.idleHistoryMs = options.idleHistoryMs ?? 60_000;
    this.clock = options.clock ?? (() => performance.now());
    this.wallboard = new TopicLog(this.versionBase, options.wallboardHistory ?? 5_000, true);
    for (const entry of source.wallboardEntries()) this.entries.set(entry.callId, entry);
    this.unsubscribe = bus.subscribe((update) => this.onUpdate(update));
  }

  callLog(callId: string): TopicLog {
    let log = this.callLogs.get(callId);
    if (!log) {
      this.callLogs.set(callId, (log = new TopicLog(this.versionBase, this.callHistory)));
      if (!this.watchers.has(`call:${callId}`)) this.idleSince.set(callId, -Infinity);
    }
    return log;
  }

  wallboardEntries(filter: WallboardFilter | undefined): WallboardEntry[] {
    return [...this.entries.values()].filter((entry) => matchesFilter(entry, filter));
  }

  add(session: Session): void {
    this.sessions.add(session);
  }

  /** A session follows a topic ('call:<callId>' or 'wallboard'). */
  watch(session: Session, topicKey: string): void {
    let set = this.watchers.get(topicKey);
    if (!set) this.watchers.set(topicKey, (set = new Set()));
    set.add(session);
    const callId = callIdOf(topicKey);
    if (callId !== undefined) this.idleSince.delete(callId);
  }

  unwatch(session: Session, topicKey: string): void {
    const set = this.watchers.get(topicKey);
    if (!set?.delete(session)) return;
    if (set.size === 0) {
      this.watchers.delete(topicKey);
      const callId = callIdOf(topicKey);
      if (callId !== undefined && this.callLogs.has(callId))
        this.idleSince.set(callId, this.clock());
    }
    this.announce(topicKey);
  }

  /**
   * Asks for `session`'s queue to be sent in the next send pass. One pass per event-loop turn
   * sends for every session changed in it, after all of the turn's socket reads: the changes
   * of one turn leave together, so a wallboard frame carries every row that changed in it, and
   * the writes come in one burst. A burst is much cheaper than the same writes spread over the
   * turn: each write to a socket whose reader is asleep also pays to wake it (on loopback,
   * inside the writer's system call), and in a burst the reader is already awake for most of
   * them (decision 0021).
   */
  flushSoon(session: Session): void {
    if (this.toFlush.size === 0) {
      this.heldSince = this.clock();
      this.afterTurn(() => this.flushAll());
    }
    this.toFlush.add(session);
  }

  private flushAll(): void {
    const sessions = [...this.toFlush];
    this.toFlush.clear();
    for (const session of sessions) session.flush();
  }

  remove(session: Session): void {
    this.sessions.delete(session);
    this.toFlush.delete(session);
    for (const key of [...this.watchers.keys()]) this.unwatch(session, key);
  }

  /**
   * Presence: tells everyone following a call who is following it (each person once, however
   * many tabs they have open). The wallboard has no presence.
   */
  announce(topicKey: string): void {
    const callId = callIdOf(topicKey);
    if (callId === undefined) return;
    const sessions = this.watchers.get(topicKey);
    if (!sessions) return;
    const people = new Map<string, Watcher>();
    for (const session of sessions) people.set(session.watcher.id, session.watcher);
    const watchers = [...people.values()].sort((a, b) => a.name.localeCompare(b.name));
    for (const session of sessions) session.deliverPresence(callId, watchers);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Calls that at least one connection follows now. */
  get followedCalls(): number {
    let count = 0;
    for (const key of this.watchers.keys()) if (callIdOf(key) !== undefined) count += 1;
    return count;
  }

  /** Connections following the wallboard now. */
  get wallboardFollowers(): number {
    return this.watchers.get('wallboard')?.size ?? 0;
  }

  private onUpdate(update: CallUpdate): void {
    // A long turn sends what has waited long enough before it queues more: the pass at the
    // end of the turn then finds only what came since.
    const now = this.clock();
    if (this.toFlush.size > 0 && now - this.heldSince >= this.maxHoldMs) this.flushAll();
    if (update.reset) this.restartCall(update.callId);
    if (update.changes.length > 0) {
      const log = this.callLog(update.callId);
      const sessions = this.watchers.get(`call:${update.callId}`);
      if (sessions === undefined && this.historyIdle(update.callId, now)) {
        // No one follows the call, nor can resume it exactly: nothing to serialise or hold.
        log.advance();
      } else {
        // Serialised once, not once per subscriber: frames are assembled from these.
        const json = update.json ?? update.changes.map((change) => JSON.stringify(change));
        const version = log.append(json);
        for (const session of sessions ?? [])
          session.deliverCall(update.callId, version, update.changes, json);
      }
    }
    this.releaseIdleHistories(now);
    if (update.removed) {
      // Its followers are told the call is gone, and follow it no more. A call started later
      // under the same id, perhaps in another campaign, is another call: each of them would
      // have to subscribe again, and pass the scope check again, to see it.
      // The followers are forgotten first, so that none hears a presence change on the way.
      const followers = this.watchers.get(`call:${update.callId}`);
      this.watchers.delete(`call:${update.callId}`);
      for (const session of followers ?? []) session.callRemoved(update.callId);
      this.callLogs.delete(update.callId);
      this.idleSince.delete(update.callId);
    }
    const row = this.rowChange(update);
    if (row) {
      // The log holds whole rows: a resume replays them through each subscriber's view.
      const version = this.wallboard.append([row.json]);
      const followers = this.watchers.get('wallboard');
      if (followers) {
        if (row.before && row.after) {
          const change = wallboardPatch(row.before, row.after);
          if (change) row.patch = { change, json: JSON.stringify(change) };
        }
        for (const session of followers) session.deliverWallboard(version, row);
      }
    }
  }

  /** How the update changes the call's wallboard row, if it does; the row is updated here. */
  private rowChange(update: CallUpdate): RowChange | undefined {
    const callId = update.callId;
    const before = this.entries.get(callId);
    if (update.removed) {
      if (!before) return undefined;
      this.entries.delete(callId);
      const change: WallboardChange = {
        op: 'remove',
        callId,
        ...(before.campaignId !== undefined ? { campaignId: before.campaignId } : {}),
      };
      return { callId, before, after: undefined, change, json: JSON.stringify(change) };
    }
    if (before && sameWallboardEntry(before, update.entry)) return undefined;
    this.entries.set(callId, update.entry);
    return {
      callId,
      before,
      after: update.entry,
      change: { op: 'upsert', entry: update.entry as unknown as Record<string, unknown> },
      json: `{"op":"upsert","entry":${JSON.stringify(update.entry)}}`,
    };
  }

  /**
   * The call's state was replaced (a refused write undone): everyone following it starts again
   * from a snapshot, and no one can resume across the change, since what they were sent before
   * it is no longer true.
   */
  private restartCall(callId: string): void {
    const version = this.callLog(callId).advance();
    for (const session of this.watchers.get(`call:${callId}`) ?? [])
      session.restartCall(callId, version);
  }

  /** Whether no one has followed the call for idleHistoryMs (or ever). */
  private historyIdle(callId: string, now: number): boolean {
    const since = this.idleSince.get(callId);
    return since !== undefined && now - since >= this.idleHistoryMs;
  }

  /**
   * Lets go of the history of calls that have been idle long enough, most of all ended calls,
   * which stay for the retention hour but rarely change. Runs as updates arrive, at most a few
   * times per idleHistoryMs: a server that receives nothing keeps what it held.
   */
  private releaseIdleHistories(now: number): void {
    if (now - this.lastIdleSweep < this.idleHistoryMs / 4) return;
    this.lastIdleSweep = now;
    for (const callId of this.idleSince.keys()) {
      if (!this.historyIdle(callId, now)) continue;
      const log = this.callLogs.get(callId);
      if (log?.holding) log.release();
    }
  }

  close(): void {
    this.unsubscribe();
  }
}
