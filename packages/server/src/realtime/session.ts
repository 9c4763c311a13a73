// One supervisor connection: its subscriptions and its send queue. Changes queue per
// subscription and are coalesced by document (the latest version of a row wins, so interim
// transcripts and audio levels collapse under pressure while every row's latest state,
// finals included, is kept). When the socket cannot drain, the queue is held; if it grows
// past its cap or stays blocked too long, the connection is closed with 4408 and no other
// connection is affected.
import {
  CLOSE_CODES,
  EarshotError,
  mergeChanges,
  mergeWallboardChanges,
  scopeCovers,
  wallboardChangeCallId,
  type CampaignScope,
  type CallChange,
  type ClientMessage,
  type ServerMessage,
  type Topic,
  type WallboardChange,
  type WallboardEntry,
  type WallboardFilter,
} from '@earshot/protocol';
import { snapshotForScreens } from '@earshot/engine';
import { stillReadingBack } from '../ingest/call-host.ts';
import type { Timers } from '../jobs/service.ts';
import { realTimers } from '../jobs/service.ts';
import { RateLimiter } from '../auth/rate-limiter.ts';
import { matchesFilter, type Hub, type LogEntry, type RowChange, type TopicChange } from './hub.ts';

/** What a session needs of its socket: the transport stays thin and replaceable in tests. */
export interface Sink {
  send(text: string): void;
  /** Bytes handed to the socket but not yet written to the network. */
  bufferedAmount(): number;
  close(code: number, reason: string): void;
}

/** Who is on the other end, as other supervisors see them in presence. */
export interface Watcher {
  id: string;
  name: string;
}

export interface SessionOptions {
  /** Queued changes (after coalescing) a connection may hold before it is closed. */
  maxPendingChanges?: number;
  /**
   * Subscriptions one connection may hold at once. The console needs two (the board and one
   * call); the cap keeps one connection from making every change cost it thousands of queues.
   */
  maxSubscriptions?: number;
  /**
   * Client messages a connection may send per second, and in one burst (10 and 50). Each
   * subscribe costs a snapshot and each unsubscribe a presence announcement to every follower
   * of the call: a client looping over them would make the server work for nothing. Every
   * message counts; a subscribe beyond the limit is answered with a 429 `error` saying when to
   * try again, and not acted on.
   */
  messagesPerSecond?: number;
  messageBurst?: number;
  /** Above this many unsent bytes the socket counts as blocked and sending pauses. */
  highWaterBytes?: number;
  /** A connection blocked this long with changes waiting is closed. */
  maxBlockedMs?: number;
  timers?: Timers;
  clock?: () => number;
}

interface Subscription {
  id: string;
  topic: Topic;
  /**
   * The last version this subscriber's frames have covered: the next frame starts after it.
   * A wallboard version this subscriber does not see (another campaign's row, a row outside
   * its filter) is sent as nothing at all and covered by the next frame.
   */
  sent: number;
  /**
   * Changes waiting to be sent, by document key, covering versions [from, to], each with its
   * JSON (made once per change by the hub, shared by every subscriber). Replaced, not cleared,
   * when sent. `Map.clear()` leaves the old table holding its entries; once a subscription's
   * map has lived long enough to be in the old generation, every young collection treats those
   * stale entries as live and promotes them, with their JSON, until the next full collection.
   * A new map per frame cut what the pipeline benchmark promotes from about 110 MB to 40 MB.
   */
  pending: { waiting: boolean; from: number; to: number; changes: Map<string, Serialised> };
}

interface Serialised {
  change: TopicChange;
  /** Undefined for a change merged here from two: serialised when it is sent. */
  json: string | undefined;
}

function topicKey(topic: Topic): string {
  return topic.kind === 'call' ? `call:${topic.callId}` : 'wallboard';
}

function changeKey(change: TopicChange): string {
  if ('op' in change) return wallboardChangeCallId(change);
  return `${change.table}:${'doc' in change ? String(change.doc._id) : change.id}`;
}

export class Session {
  private readonly subscriptions = new Map<string, Subscription>();
  private retryTimer: unknown;
  private blockedSince: number | undefined;
  private closed = false;
  private readonly maxPending: number;
  private readonly maxSubscriptions: number;
  private readonly highWater: number;
  private readonly maxBlockedMs: number;
  private readonly timers: Timers;
  private readonly clock: () => number;
  private readonly messages: RateLimiter;

  constructor(
    private readonly hub: Hub,
    private readonly sink: Sink,
    options: SessionOptions = {},
    readonly watcher: Watcher = { id: 'anonymous', name: 'Anonymous' },
    /** The campaigns this connection may see: other calls do not exist for it. */
    private readonly scope: CampaignScope = 'all',
    /** Told when a subscription to another campaign's call is refused (for the audit log). */
    private readonly onRefused?: (callId: string) => void,
  ) {
    this.maxPending = options.maxPendingChanges ?? 5_000;
    this.maxSubscriptions = options.maxSubscriptions ?? 100;
    this.highWater = options.highWaterBytes ?? 1024 * 1024;
    this.maxBlockedMs = options.maxBlockedMs ?? 10_000;
    this.timers = options.timers ?? realTimers;
    this.clock = options.clock ?? Date.now;
    this.messages = new RateLimiter(
      options.messagesPerSecond ?? 10,
      options.messageBurst ?? 50,
      this.clock,
    );
    hub.add(this);
  }

  private send(message: ServerMessage): void {
    if (!this.closed) this.sink.send(JSON.stringify(message));
  }

  /** The delta message of realtime.ts, assembled from JSON the hub made once per change. */
  private sendDelta(id: string, fromVersion: number, version: number, json: string[]): void {
    if (this.closed) return;
    this.sink.send(
      `{"type":"delta","id":${JSON.stringify(id)},"fromVersion":${fromVersion},` +
        `"version":${version},"changes":[${json.join(',')}]}`,
    );
  }

  /** Handles one parsed client message (hello is the transport's business). */
  handle(message: ClientMessage): void {
    // Every message is counted; only a subscribe is refused for it. An unsubscribe frees what
    // a subscription holds and a ping costs nothing: refusing them would keep a subscription
    // the client believes gone (its answer to a refused unsubscribe goes nowhere).
    const retryAfter = message.type === 'subscribe' ? this.messages.wait('messages') : 0;
    if (retryAfter > 0) {
      const problem = new EarshotError(
        'rate_limited',
        `Too many messages on this connection; wait ${retryAfter} s`,
        { retryAfter },
      ).toProblem();
      return this.send({ type: 'error', ...('id' in message ? { id: message.id } : {}), problem });
    }
    this.messages.spend('messages');
    switch (message.type) {
      case 'subscribe':
        return this.subscribe(message.id, message.topic, message.resumeFrom);
      case 'unsubscribe':
        this.unsubscribe(message.id);
        return this.send({ type: 'unsubscribed', id: message.id });
      case 'ping':
        return this.send({ type: 'pong', ...(message.at !== undefined ? { at: message.at } : {}) });
      case 'hello':
        return;
    }
  }

  private subscribe(id: string, topic: Topic, resumeFrom: number | undefined): void {
    if (this.subscriptions.has(id)) {
      return this.send({
        type: 'error',
        id,
        problem: new EarshotError(
          'conflict',
          `Subscription ${id} exists; unsubscribe first`,
        ).toProblem(),
      });
    }
    if (this.subscriptions.size >= this.maxSubscriptions) {
      return this.send({
        type: 'error',
        id,
        problem: new EarshotError(
          'rate_limited',
          `A connection holds at most ${this.maxSubscriptions} subscriptions; unsubscribe one first`,
        ).toProblem(),
      });
    }
    const call = topic.kind === 'call' ? this.hub.source.callSnapshot(topic.callId) : undefined;
    if (topic.kind === 'call' && !this.maySee(call?.liveCall)) {
      // An ended call a restart has not read back yet exists: whoever may see it is told to
      // retry. For anyone else it does not exist, like any other campaign's call.
      const pending = call ? undefined : this.hub.source.readingBack?.(topic.callId);
      if (pending && this.maySee(pending))
        return this.send({
          type: 'error',
          id,
          problem: stillReadingBack(topic.callId).toProblem(),
        });
      if (call || pending) this.onRefused?.(topic.callId);
      return this.send({
        type: 'error',
        id,
        problem: new EarshotError('not_found', `No call ${topic.callId}`).toProblem(),
      });
    }
    // Only now: a topic log is made on first use, and a refused id must not leave one behind.
    const log = topic.kind === 'call' ? this.hub.callLog(topic.callId) : this.hub.wallboard;
    const subscription: Subscription = {
      id,
      topic,
      sent: log.version,
      pending: { waiting: false, from: 0, to: 0, changes: new Map() },
    };
    this.subscriptions.set(id, subscription);
    this.hub.watch(this, topicKey(topic));

    if (resumeFrom !== undefined) {
      const missed = log.since(resumeFrom);
      if (missed) {
        this.replay(subscription, resumeFrom, missed);
        this.hub.announce(topicKey(topic));
        return;
      }
      this.send({
        type: 'resync',
        id,
        reason: 'The changes since that version are no longer held',
      });
    }
    this.send({ type: 'snapshot', id, version: log.version, data: this.snapshotData(topic) });
    this.hub.announce(topicKey(topic));
  }

  /**
   * What came after resumeFrom, one frame per version as it happened. A wallboard version
   * that changes nothing this subscriber sees is not sent, as in live delivery: another
   * campaign's row, or a row outside its filter that the replay has already removed. The
   * next frame's fromVersion covers the versions skipped, so a filtered board that missed
   * thousands of other rows' changes is not sent thousands of empty frames.
   */
  private replay(subscription: Subscription, resumeFrom: number, missed: LogEntry[]): void {
    subscription.sent = resumeFrom;
    const removed = new Set<string>();
    for (const entry of missed) {
      let json = entry.json;
      if (entry.changes) {
        const visible = this.visibleJson(subscription, entry.changes, entry.json);
        json = visible.json.filter((_, i) => {
          const change = visible.changes[i] as WallboardChange;
          const callId = wallboardChangeCallId(change);
          if (change.op !== 'remove') {
            removed.delete(callId); // back in view
            return true;
          }
          if (removed.has(callId)) return false;
          removed.add(callId);
          return true;
        });
        if (json.length === 0) continue;
      }
      this.sendDelta(subscription.id, subscription.sent + 1, entry.version, json);
      subscription.sent = entry.version;
    }
  }

  /** A foreign call answers like a missing one, so its existence does not leak. */
  private maySee(call: { campaignId?: string | undefined } | undefined): boolean {
    return call !== undefined && scopeCovers(this.scope, call.campaignId);
  }

  private snapshotData(topic: Topic): unknown {
    if (topic.kind === 'wallboard')
      return { calls: this.hub.wallboardEntries(topic.filter).filter((e) => this.maySee(e)) };
    const snapshot = this.hub.source.callSnapshot(topic.callId);
    return snapshot && snapshotForScreens(snapshot);
  }

  /**
   * A wallboard change of the log (whole rows and removals) as this subscriber sees it, for a
   * resume: a row outside its filter is a removal.
   */
  private visible(subscription: Subscription, changes: TopicChange[]): TopicChange[] {
    if (subscription.topic.kind !== 'wallboard') return changes;
    const filter: WallboardFilter | undefined = subscription.topic.filter;
    if (this.scope !== 'all' && (changes as WallboardChange[]).some((c) => !this.inScope(c))) {
      // Calls of other campaigns are left out entirely, not even as removals.
      changes = (changes as WallboardChange[]).filter((c) => this.inScope(c));
    }
    return changes.map((change) => {
      const wallboard = change as WallboardChange;
      if (wallboard.op === 'upsert' && !matchesFilter(wallboard.entry as never, filter)) {
        return { op: 'remove', callId: String(wallboard.entry.callId) } satisfies WallboardChange;
      }
      return wallboard;
    });
  }

  /** Whether a wallboard change of the log is about a call this connection may see. */
  private inScope(change: WallboardChange): boolean {
    // The log holds no patches (RowChange): a patch names no campaign, so it counts as none.
    const campaignId =
      change.op === 'upsert'
        ? change.entry.campaignId
        : change.op === 'remove'
          ? change.campaignId
          : undefined;
    return scopeCovers(this.scope, campaignId as string | undefined);
  }

  private unsubscribe(id: string): void {
    const subscription = this.subscriptions.get(id);
    if (!subscription) return;
    this.subscriptions.delete(id);
    const key = topicKey(subscription.topic);
    if (![...this.subscriptions.values()].some((s) => topicKey(s.topic) === key))
      this.hub.unwatch(this, key);
  }

  /** `json[i]` is `changes[i]` serialised. */
  deliverCall(callId: string, version: number, changes: CallChange[], json: string[]): void {
    for (const subscription of this.subscriptions.values()) {
      if (subscription.topic.kind === 'call' && subscription.topic.callId === callId) {
        this.enqueue(subscription, version, changes, json);
      }
    }
  }

  /**
   * The call's state was replaced (Hub.restartCall): each subscription to it drops what it had
   * queued, is told to resync, and gets the call as it is now, at `version`.
   */
  restartCall(callId: string, version: number): void {
    for (const subscription of this.subscriptions.values()) {
      if (subscription.topic.kind !== 'call' || subscription.topic.callId !== callId) continue;
      subscription.pending.waiting = false;
      subscription.pending.changes = new Map();
      subscription.sent = version;
      this.send({
        type: 'resync',
        id: subscription.id,
        reason: 'The call was reloaded from the store after a write the database refused',
      });
      this.send({
        type: 'snapshot',
        id: subscription.id,
        version,
        data: this.snapshotData(subscription.topic),
      });
    }
  }

  /**
   * The call's live rows were deleted (retention, or its first write refused): each
   * subscription to it ends with a 404, as a subscribe would now get, and anything queued for
   * it is dropped.
   */
  callRemoved(callId: string): void {
    for (const subscription of [...this.subscriptions.values()]) {
      if (subscription.topic.kind !== 'call' || subscription.topic.callId !== callId) continue;
      this.subscriptions.delete(subscription.id);
      this.send({
        type: 'error',
        id: subscription.id,
        problem: new EarshotError(
          'not_found',
          `No call ${callId}: its live data was removed`,
        ).toProblem(),
      });
    }
    this.hub.unwatch(this, topicKey({ kind: 'call', callId }));
  }

  /** The call's watchers changed: every subscription to it hears who is watching now. */
  deliverPresence(callId: string, watchers: Watcher[]): void {
    for (const subscription of this.subscriptions.values()) {
      if (subscription.topic.kind === 'call' && subscription.topic.callId === callId)
        this.send({ type: 'presence', id: subscription.id, watchers });
    }
  }

  deliverWallboard(version: number, row: RowChange): void {
    for (const subscription of this.subscriptions.values()) {
      if (subscription.topic.kind !== 'wallboard') continue;
      const seen = this.rowChangeFor(subscription.topic.filter, row);
      if (seen) this.enqueue(subscription, version, [seen.change], [seen.json]);
    }
  }

  /**
   * What a wallboard subscriber is sent of a row's change. A row its view holds and still
   * shows gets a patch; a row that comes into view, the whole row; a row that leaves it, a
   * removal; a row it neither held nor shows, nothing.
   */
  private rowChangeFor(
    filter: WallboardFilter | undefined,
    row: RowChange,
  ): { change: WallboardChange; json: string } | undefined {
    const shows = (entry: WallboardEntry | undefined) =>
      entry !== undefined && this.maySee(entry) && matchesFilter(entry, filter);
    const held = shows(row.before);
    if (shows(row.after)) return held && row.patch ? row.patch : row;
    if (!held) return undefined;
    if (row.change.op === 'remove') return row;
    const removal: WallboardChange = { op: 'remove', callId: row.callId };
    return { change: removal, json: JSON.stringify(removal) };
  }

  /** `visible`, with each change's JSON: the shared one unless the filter rewrote it. */
  private visibleJson(
    subscription: Subscription,
    changes: TopicChange[],
    json: string[],
  ): { changes: TopicChange[]; json: string[] } {
    // A wallboard that sees every call, unfiltered, sees the hub's changes as they are.
    if (subscription.topic.kind === 'call' || (this.scope === 'all' && !subscription.topic.filter))
      return { changes, json };
    const visible = this.visible(subscription, changes);
    return {
      changes: visible,
      json: visible.map((change, i) => (change === changes[i] ? json[i]! : JSON.stringify(change))),
    };
  }

  private enqueue(
    subscription: Subscription,
    version: number,
    changes: TopicChange[],
    json: string[],
  ): void {
    if (this.closed) return;
    const pending = subscription.pending;
    // Versions this subscriber was not sent (a foreign campaign's wallboard row) are covered
    // by this frame: its fromVersion must follow the last frame's version.
    if (!pending.waiting) pending.from = subscription.sent + 1;
    pending.waiting = true;
    pending.to = version;
    const queued = pending.changes;
    changes.forEach((change, i) => {
      const key = changeKey(change);
      const earlier = queued.get(key);
      // Re-inserting moves the key to the end, so the frame lists changes in the order they last happened.
      queued.delete(key);
      // A patch of a row already queued is folded into it: the subscriber never held the
      // version the patch was made against.
      if (earlier && 'table' in change && 'set' in change && 'table' in earlier.change) {
        queued.set(key, { change: mergeChanges(earlier.change, change), json: undefined });
      } else if (earlier && 'op' in change && change.op === 'patch' && 'op' in earlier.change) {
        queued.set(key, { change: mergeWallboardChanges(earlier.change, change), json: undefined });
      } else {
        queued.set(key, { change, json: json[i]! });
      }
    });
    if (this.pendingCount() > this.maxPending) return this.overflow('send queue overflowed');
    this.hub.flushSoon(this);
  }

  private pendingCount(): number {
    let count = 0;
    for (const subscription of this.subscriptions.values())
      count += subscription.pending.changes.size;
    return count;
  }

  /** The retry while the socket is blocked. */
  private scheduleFlush(delay: number): void {
    if (this.retryTimer !== undefined || this.closed) return;
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      this.flush();
    }, delay);
  }

  /** Sends what is queued, unless the socket is still draining (then it retries shortly). */
  flush(): void {
    if (this.closed || this.retryTimer !== undefined) return; // a retry is already waiting
    if (this.sink.bufferedAmount() > this.highWater) {
      this.blockedSince ??= this.clock();
      if (this.clock() - this.blockedSince > this.maxBlockedMs)
        return this.overflow('socket blocked too long');
      return this.scheduleFlush(25);
    }
    this.blockedSince = undefined;
    for (const subscription of this.subscriptions.values()) {
      const pending = subscription.pending;
      if (!pending.waiting) continue;
      pending.waiting = false;
      const json: string[] = [];
      for (const queued of pending.changes.values())
        json.push(queued.json ?? JSON.stringify(queued.change));
      pending.changes = new Map();
      subscription.sent = pending.to;
      this.sendDelta(subscription.id, pending.from, pending.to, json);
    }
  }

  private overflow(reason: string): void {
    this.close(CLOSE_CODES.slowConsumer, `slow consumer: ${reason}`);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer !== undefined) this.timers.clearTimeout(this.retryTimer);
    this.hub.remove(this);
    this.sink.close(code, reason);
  }

  /** The transport closed: forget everything. */
  detach(): void {
    this.closed = true;
    if (this.retryTimer !== undefined) this.timers.clearTimeout(this.retryTimer);
    this.hub.remove(this);
  }
}
