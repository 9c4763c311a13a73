// A session's send queue, driven by hand: changes to one row queued behind a blocked socket
// leave as one change, and the subscriber's copy ends up as the server's; in a long turn,
// changes leave once they have waited the hub's maxHoldMs. A wallboard gets a row whole,
// then patches, and only what its scope and filter show.
import { describe, expect, it } from 'vitest';
import {
  applyCallChanges,
  applyWallboardChanges,
  emptySnapshot,
  type CallChange,
  type LiveCall,
  type ServerMessage,
  type WallboardChange,
  type WallboardEntry,
  type WallboardFilter,
  type CampaignScope,
} from '@earshot/protocol';
import type { Timers } from '../src/jobs/service.ts';
import { InProcessBus } from '../src/realtime/bus.ts';
import { Hub } from '../src/realtime/hub.ts';
import { Session, type Sink } from '../src/realtime/session.ts';

const CALL = {
  _id: 'call-1',
  callId: 'c-1',
  customerPhone: '+44 7700 900123',
  status: 'connected',
  agentGain: 10,
  currentSpeaker: 'agent',
  duration: 1,
};
const SNAPSHOT = emptySnapshot(CALL as unknown as LiveCall);

/** Timers that run only when the test says so. */
function manualTimers(): Timers & { run(): void } {
  let due: Array<() => void> = [];
  return {
    setTimeout: (callback) => {
      due.push(callback);
      return callback;
    },
    clearTimeout: (handle) => {
      due = due.filter((callback) => callback !== handle);
    },
    run() {
      const now = due;
      due = [];
      for (const callback of now) callback();
    },
  };
}

/** A socket that keeps every frame sent, and reports `block(bytes)` as unsent. */
function recordingSink() {
  const frames: ServerMessage[] = [];
  let buffered = 0;
  const sink: Sink = {
    send: (text) => frames.push(JSON.parse(text) as ServerMessage),
    bufferedAmount: () => buffered,
    close: () => {},
  };
  return { frames, sink, block: (bytes: number) => (buffered = bytes) };
}

function setup() {
  const bus = new InProcessBus();
  const timers = manualTimers();
  let now = 0;
  const hub = new Hub(
    bus,
    { callSnapshot: () => SNAPSHOT, wallboardEntries: () => [] },
    {
      afterTurn: (callback) => timers.setTimeout(callback, 0),
      maxHoldMs: 4,
      clock: () => now,
    },
  );
  const { frames, sink, block } = recordingSink();
  const session = new Session(hub, sink, { timers, highWaterBytes: 100 });
  session.handle({ type: 'subscribe', id: 's1', topic: { kind: 'call', callId: 'c-1' } });
  const publish = (changes: CallChange[]) =>
    bus.publish({ callId: 'c-1', changes, entry: { callId: 'c-1' } as never });
  return {
    frames,
    timers,
    publish,
    block,
    advance: (ms: number) => (now += ms),
  };
}

const ROW = {
  callId: 'w-1',
  liveCallId: 'l-1',
  agentName: 'Dana',
  customerName: 'Sam',
  customerPhone: '+•• •••• ••0123',
  campaignId: 'campaign-a',
  campaignName: 'Solar',
  status: 'connected',
  startTime: '2026-11-24T10:00:00.000Z',
  currentPhase: 'Opening',
  isRecording: true,
  pipelineError: false,
} as WallboardEntry;

/**
 * A hub with one wallboard session (filtered or not, scoped or not), whose rows are kept as a
 * client would keep them.
 */
function board(filter?: WallboardFilter, scope: CampaignScope = 'all') {
  const bus = new InProcessBus();
  const timers = manualTimers();
  const hub = new Hub(
    bus,
    { callSnapshot: () => SNAPSHOT, wallboardEntries: () => [] },
    { afterTurn: (callback) => timers.setTimeout(callback, 0) },
  );
  const { frames, sink, block } = recordingSink();
  const session = new Session(hub, sink, { timers, highWaterBytes: 100 }, undefined, scope);
  session.handle({
    type: 'subscribe',
    id: 'w',
    topic: { kind: 'wallboard', ...(filter ? { filter } : {}) },
  });
  const rows = new Map<string, WallboardEntry>();
  let seen = 0;
  let version = 0;
  /** Applies the frames that came since the last call; checks they follow on. */
  const sync = () => {
    timers.run();
    for (const frame of frames.slice(seen)) {
      if (frame.type === 'snapshot') {
        version = frame.version;
        for (const row of (frame.data as { calls: WallboardEntry[] }).calls)
          rows.set(row.callId, row);
      }
      if (frame.type !== 'delta') continue;
      expect(frame.fromVersion).toBe(version + 1);
      version = frame.version;
      applyWallboardChanges(rows, frame.changes as WallboardChange[]);
    }
    const fresh = frames.slice(seen);
    seen = frames.length;
    return fresh.filter((frame) => frame.type === 'delta');
  };
  const publish = (entry: WallboardEntry) =>
    bus.publish({ callId: entry.callId, changes: [], entry });
  sync();
  return {
    hub,
    rows,
    sync,
    publish,
    block,
    filter,
    /** The version of the last frame applied. */
    version: () => version,
  };
}

describe('session send queue', () => {
  it('tells whoever may see an ended call still being read back to retry, and anyone else of no such call', () => {
    const hub = new Hub(new InProcessBus(), {
      callSnapshot: () => undefined,
      wallboardEntries: () => [],
      readingBack: (callId) => (callId === 'ended-1' ? { campaignId: 'campaign-a' } : undefined),
    });
    const answer = (scope: CampaignScope, callId: string) => {
      const { frames, sink } = recordingSink();
      const session = new Session(hub, sink, {}, undefined, scope);
      session.handle({ type: 'subscribe', id: 's', topic: { kind: 'call', callId } });
      return frames;
    };
    const retry = { type: 'error', id: 's', problem: { status: 503, kind: 'unavailable' } };
    const none = { type: 'error', id: 's', problem: { status: 404, detail: expect.any(String) } };
    expect(answer('all', 'ended-1')).toMatchObject([retry]);
    expect(answer(['campaign-a'], 'ended-1')).toMatchObject([retry]);
    // Another campaign's call does not exist for this connection, read back or not.
    expect(answer(['campaign-b'], 'ended-1')).toMatchObject([none]);
    expect(answer('all', 'never')).toMatchObject([none]);
  });

  it('ends the subscriptions to a removed call, so a later call with its id reaches none of them', () => {
    const bus = new InProcessBus();
    const timers = manualTimers();
    let campaignId = 'campaign-a';
    const hub = new Hub(
      bus,
      {
        callSnapshot: () => emptySnapshot({ ...CALL, campaignId } as unknown as LiveCall),
        wallboardEntries: () => [],
      },
      { afterTurn: (callback) => timers.setTimeout(callback, 0) },
    );
    const followers = [recordingSink(), recordingSink()];
    for (const [i, { sink }] of followers.entries()) {
      const session = new Session(hub, sink, { timers }, { id: `u${i}`, name: `U${i}` }, [
        'campaign-a',
      ]);
      session.handle({ type: 'subscribe', id: 's', topic: { kind: 'call', callId: 'c-1' } });
    }
    const change: CallChange = { table: 'liveCalls', id: 'call-1', set: { duration: 2 } };
    bus.publish({ callId: 'c-1', changes: [change], entry: { callId: 'c-1' } as never });
    // Queued, not yet sent, when the call's live rows go: dropped with the subscription.
    bus.publish({ callId: 'c-1', changes: [], entry: { callId: 'c-1' } as never, removed: true });
    timers.run();
    for (const { frames } of followers) {
      expect(frames.some((f) => f.type === 'delta')).toBe(false);
      expect(frames.at(-1)).toMatchObject({
        type: 'error',
        id: 's',
        problem: { status: 404, detail: 'No call c-1: its live data was removed' },
      });
    }
    // The same id started again, in a campaign these connections may not see.
    campaignId = 'campaign-b';
    const before = followers.map(({ frames }) => frames.length);
    bus.publish({ callId: 'c-1', changes: [change], entry: { callId: 'c-1' } as never });
    timers.run();
    expect(followers.map(({ frames }) => frames.length)).toEqual(before);
    expect(hub.followedCalls).toBe(0);
  });

  it("refuses a subscription over the connection's cap, and takes one again after an unsubscribe", () => {
    const hub = new Hub(new InProcessBus(), {
      callSnapshot: () => SNAPSHOT,
      wallboardEntries: () => [],
    });
    const { frames, sink } = recordingSink();
    const session = new Session(hub, sink, { maxSubscriptions: 2 });
    const subscribe = (id: string) =>
      session.handle({ type: 'subscribe', id, topic: { kind: 'call', callId: 'c-1' } });
    subscribe('a');
    subscribe('b');
    subscribe('c');
    expect(
      frames.filter((f) => f.type === 'snapshot').map((f) => f.type === 'snapshot' && f.id),
    ).toEqual(['a', 'b']);
    expect(frames.at(-1)).toMatchObject({ type: 'error', id: 'c', problem: { status: 429 } });
    session.handle({ type: 'unsubscribe', id: 'a' });
    subscribe('c');
    expect(frames.some((f) => f.type === 'snapshot' && f.id === 'c')).toBe(true);
  });

  it('answers a subscribe beyond the rate with a 429 saying when, and still takes unsubscribes and pings', () => {
    const hub = new Hub(new InProcessBus(), {
      callSnapshot: () => SNAPSHOT,
      wallboardEntries: () => [],
    });
    const { frames, sink } = recordingSink();
    let now = 0;
    const session = new Session(hub, sink, {
      messagesPerSecond: 2,
      messageBurst: 3,
      clock: () => now,
    });
    const subscribe = (id: string) =>
      session.handle({ type: 'subscribe', id, topic: { kind: 'call', callId: 'c-1' } });
    subscribe('a');
    session.handle({ type: 'unsubscribe', id: 'a' });
    subscribe('b');
    subscribe('c'); // the fourth message in the same instant
    const snapshots = () =>
      frames.filter((f) => f.type === 'snapshot').map((f) => f.type === 'snapshot' && f.id);
    expect(snapshots()).toEqual(['a', 'b']);
    expect(frames.filter((f) => f.type === 'error')).toEqual([
      { type: 'error', id: 'c', problem: expect.objectContaining({ status: 429, retryAfter: 1 }) },
    ]);
    expect(hub.followedCalls).toBe(1); // 'c' was not subscribed
    // Over the limit, an unsubscribe and a ping are still acted on: an unsubscribe frees what
    // a subscription held (and can come only once per subscription), a ping costs nothing.
    session.handle({ type: 'ping' });
    session.handle({ type: 'unsubscribe', id: 'b' });
    expect(frames.filter((f) => f.type === 'pong')).toHaveLength(1);
    expect(frames.at(-1)).toEqual({ type: 'unsubscribed', id: 'b' });
    expect(hub.followedCalls).toBe(0);
    now += 500; // one token back at 2 a second
    subscribe('c');
    expect(snapshots()).toEqual(['a', 'b', 'c']);
  });

  it('folds patches of a row queued behind a blocked socket into one change', () => {
    const { frames, timers, publish, block } = setup();
    expect(frames.map((f) => f.type)).toEqual(['snapshot', 'presence']);
    block(1_000); // the socket is not draining
    publish([{ table: 'liveCalls', id: 'call-1', set: { agentGain: 50, duration: 2 } }]);
    publish([
      { table: 'liveCalls', id: 'call-1', set: { agentGain: 70 }, unset: ['currentSpeaker'] },
    ]);
    publish([
      { table: 'liveCalls', id: 'call-1', set: { currentSpeaker: 'customer', duration: 3 } },
    ]);
    timers.run();
    expect(frames).toHaveLength(2); // held while blocked
    block(0);
    timers.run();
    const delta = frames[2]!;
    expect(delta).toMatchObject({ type: 'delta', id: 's1' });
    if (delta.type !== 'delta') return;
    expect(delta.version - delta.fromVersion).toBe(2); // three versions in one frame
    expect(delta.changes).toEqual([
      {
        table: 'liveCalls',
        id: 'call-1',
        set: { agentGain: 70, duration: 3, currentSpeaker: 'customer' },
      },
    ]);
    const replica = applyCallChanges(SNAPSHOT, delta.changes as CallChange[]);
    expect(replica.liveCall).toEqual({
      ...CALL,
      agentGain: 70,
      currentSpeaker: 'customer',
      duration: 3,
    });
  });

  it('sends what has waited maxHoldMs before queueing more, when a turn runs long', () => {
    const { frames, timers, publish, advance } = setup();
    // One turn of a busy server: updates keep coming and the turn's send pass has not run.
    publish([{ table: 'liveCalls', id: 'call-1', set: { agentGain: 20 } }]);
    advance(3);
    publish([{ table: 'liveCalls', id: 'call-1', set: { agentGain: 30 } }]);
    expect(frames).toHaveLength(2); // snapshot and presence: held 3 ms, within the limit
    advance(2);
    publish([{ table: 'liveCalls', id: 'call-1', set: { agentGain: 40 } }]);
    // The first two left before the third was queued; the third waits for the pass.
    expect(frames).toHaveLength(3);
    const early = frames[2]!;
    if (early.type !== 'delta') throw new Error(`expected a delta, got ${early.type}`);
    expect(early.changes).toEqual([{ table: 'liveCalls', id: 'call-1', set: { agentGain: 30 } }]);
    timers.run(); // the end of the turn
    expect(frames).toHaveLength(4);
    const late = frames[3]!;
    if (late.type !== 'delta') throw new Error(`expected a delta, got ${late.type}`);
    expect(late.fromVersion).toBe(early.version + 1);
    expect(late.changes).toEqual([{ table: 'liveCalls', id: 'call-1', set: { agentGain: 40 } }]);
  });

  it('keeps a scoped wallboard contiguous across versions it may not see', () => {
    const { rows, sync, publish, version } = board(undefined, ['campaign-a']);
    const start = version();
    publish({ ...ROW, callId: 'foreign-1', campaignId: 'campaign-b' });
    expect(sync()).toEqual([]); // another campaign's row: no frame, not even a removal
    publish({ ...ROW, callId: 'own-1', campaignId: 'campaign-a' });
    // sync() checks each frame starts right after the last one: this frame covers both versions.
    expect(sync()).toHaveLength(1);
    expect(version()).toBe(start + 2);
    expect([...rows.keys()]).toEqual(['own-1']);
  });

  it('a whole row queued first absorbs the patches after it', () => {
    const { frames, timers, publish, block } = setup();
    block(1_000);
    publish([{ table: 'liveCalls', doc: { ...CALL, status: 'on_hold' } }]);
    publish([{ table: 'liveCalls', id: 'call-1', set: { agentGain: 0 } }]);
    block(0);
    timers.run();
    const delta = frames[2]!;
    if (delta.type !== 'delta') throw new Error(`expected a delta, got ${delta.type}`);
    expect(delta.changes).toEqual([
      { table: 'liveCalls', doc: { ...CALL, status: 'on_hold', agentGain: 0 } },
    ]);
  });
});

describe('wallboard frames', () => {
  it('sends a row whole once, then only the fields that change', () => {
    const { hub, rows, sync, publish } = board();
    publish(ROW);
    expect(sync().map((delta) => delta.type === 'delta' && delta.changes)).toEqual([
      [{ op: 'upsert', entry: ROW }],
    ]);
    publish({ ...ROW, currentSpeaker: 'agent' });
    publish({ ...ROW, currentSpeaker: 'agent' }); // the same row: nothing to send
    const deltas = sync();
    expect(deltas).toHaveLength(1);
    expect(deltas[0]!.type === 'delta' && deltas[0]!.changes).toEqual([
      { op: 'patch', callId: 'w-1', set: { currentSpeaker: 'agent' } },
    ]);
    publish(ROW); // silence: the speaker is gone from the row
    expect(sync().map((delta) => delta.type === 'delta' && delta.changes)).toEqual([
      [{ op: 'patch', callId: 'w-1', set: {}, unset: ['currentSpeaker'] }],
    ]);
    expect([...rows.values()]).toEqual(hub.wallboardEntries(undefined));
  });

  it('gives a filtered wallboard rows entering whole, patches while they stay, removals as they leave, and nothing while they are out', () => {
    const { hub, rows, sync, publish, filter } = board({ status: ['connected'] });
    publish({ ...ROW, status: 'ringing' });
    expect(sync()).toEqual([]); // not in view, never held: no frame at all
    publish(ROW);
    expect(sync().map((d) => d.type === 'delta' && d.changes)).toEqual([
      [{ op: 'upsert', entry: ROW }],
    ]);
    publish({ ...ROW, currentPhase: 'Pitch' });
    expect(sync().map((d) => d.type === 'delta' && d.changes)).toEqual([
      [{ op: 'patch', callId: 'w-1', set: { currentPhase: 'Pitch' } }],
    ]);
    publish({ ...ROW, currentPhase: 'Pitch', status: 'on-hold' });
    expect(sync().map((d) => d.type === 'delta' && d.changes)).toEqual([
      [{ op: 'remove', callId: 'w-1' }],
    ]);
    publish({ ...ROW, currentPhase: 'Close', status: 'on-hold' });
    expect(sync()).toEqual([]);
    publish({ ...ROW, currentPhase: 'Close' });
    expect(sync().map((d) => d.type === 'delta' && d.changes)).toEqual([
      [{ op: 'upsert', entry: { ...ROW, currentPhase: 'Close' } }],
    ]);
    expect([...rows.values()]).toEqual(hub.wallboardEntries(filter));
  });

  it('folds a row and its patches queued behind a blocked socket into one change', () => {
    const { hub, rows, sync, publish, block } = board();
    block(1_000);
    publish(ROW);
    publish({ ...ROW, currentSpeaker: 'customer' });
    publish({ ...ROW, currentSpeaker: 'customer', currentPhase: 'Pitch' });
    expect(sync()).toEqual([]);
    block(0);
    expect(sync().map((d) => d.type === 'delta' && d.changes)).toEqual([
      [{ op: 'upsert', entry: { ...ROW, currentSpeaker: 'customer', currentPhase: 'Pitch' } }],
    ]);
    block(1_000);
    publish({ ...ROW, currentPhase: 'Pitch', isRecording: false });
    publish({ ...ROW, currentPhase: 'Close', isRecording: false });
    sync();
    block(0);
    expect(sync().map((d) => d.type === 'delta' && d.changes)).toEqual([
      [
        {
          op: 'patch',
          callId: 'w-1',
          set: { isRecording: false, currentPhase: 'Close' },
          unset: ['currentSpeaker'],
        },
      ],
    ]);
    expect([...rows.values()]).toEqual(hub.wallboardEntries(undefined));
  });

  it('resumes with whole rows, which leave the resumed copy equal to the board', () => {
    const { hub, sync, publish } = board();
    publish(ROW);
    const [first] = sync();
    if (first?.type !== 'delta') throw new Error('expected a delta');
    publish({ ...ROW, currentSpeaker: 'agent' });
    publish({ ...ROW, currentSpeaker: 'agent', status: 'on-hold' });
    const frames: ServerMessage[] = [];
    const resumed = new Session(hub, {
      send: (text) => frames.push(JSON.parse(text) as ServerMessage),
      bufferedAmount: () => 0,
      close: () => {},
    });
    resumed.handle({
      type: 'subscribe',
      id: 'again',
      topic: { kind: 'wallboard' },
      resumeFrom: first.version,
    });
    const rows = new Map([['w-1', ROW]]);
    for (const frame of frames) {
      if (frame.type !== 'delta') throw new Error(`expected deltas, got ${frame.type}`);
      for (const change of frame.changes as WallboardChange[]) expect(change.op).toBe('upsert');
      applyWallboardChanges(rows, frame.changes as WallboardChange[]);
    }
    expect(frames).toHaveLength(2);
    expect([...rows.values()]).toEqual(hub.wallboardEntries(undefined));
  });

  it('resumes a filtered, scoped board without a frame for each version it does not see', () => {
    const filter: WallboardFilter = { status: ['connected'] };
    const { hub, publish, sync } = board(filter, ['camp-a']);
    const mine = { ...ROW, campaignId: 'camp-a' };
    publish(mine);
    const [first] = sync();
    if (first?.type !== 'delta') throw new Error('expected a delta');
    // While the board is away: its own row moves, a row outside its filter changes 40 times,
    // and another campaign's row 40 times.
    publish({ ...mine, currentPhase: 'Pitch' });
    for (let i = 0; i < 40; i++) {
      publish({ ...mine, callId: 'w-2', status: 'ringing', currentPhase: `Phase ${i}` });
      publish({ ...mine, callId: 'w-3', campaignId: 'camp-b', currentPhase: `Phase ${i}` });
    }
    publish({ ...mine, currentPhase: 'Close' });

    const frames: ServerMessage[] = [];
    const resumed = new Session(
      hub,
      {
        send: (text) => frames.push(JSON.parse(text) as ServerMessage),
        bufferedAmount: () => 0,
        close: () => {},
      },
      {},
      undefined,
      ['camp-a'],
    );
    resumed.handle({
      type: 'subscribe',
      id: 'again',
      topic: { kind: 'wallboard', filter },
      resumeFrom: first.version,
    });
    const rows = new Map([['w-1', mine]]);
    let version = first.version;
    for (const frame of frames) {
      if (frame.type !== 'delta') throw new Error(`expected deltas, got ${frame.type}`);
      expect(frame.fromVersion).toBe(version + 1);
      version = frame.version;
      applyWallboardChanges(rows, frame.changes as WallboardChange[]);
    }
    // Its own row twice, and one removal of the row outside its filter (it may have held
    // it); nothing of the other campaign's row, and no empty frames.
    expect(frames.map((f) => f.type === 'delta' && f.changes)).toEqual([
      [{ op: 'upsert', entry: { ...mine, currentPhase: 'Pitch' } }],
      [{ op: 'remove', callId: 'w-2' }],
      [{ op: 'upsert', entry: { ...mine, currentPhase: 'Close' } }],
    ]);
    expect(JSON.stringify(frames)).not.toContain('camp-b');
    expect(version).toBe(hub.wallboard.version);
    expect([...rows.values()]).toEqual(
      hub.wallboardEntries(filter).filter((row) => row.campaignId === 'camp-a'),
    );
  });
});
