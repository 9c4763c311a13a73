// A call's resume history is kept only while someone could resume from it: from the moment
// someone follows the call until idleHistoryMs after the last follower left. A call no one has
// followed is neither serialised nor held; a resume after the grace gets a resync; within it,
// exactly the missed deltas; and an ended call that no longer changes lets go of its history
// when the hub next sweeps. A refused subscription leaves nothing behind.
import { describe, expect, it } from 'vitest';
import {
  emptySnapshot,
  type CallChange,
  type LiveCall,
  type ServerMessage,
} from '@earshot/protocol';
import { InProcessBus } from '../src/realtime/bus.ts';
import { Hub } from '../src/realtime/hub.ts';
import { Session, type Sink } from '../src/realtime/session.ts';

const GRACE = 60_000;

function setup() {
  const bus = new InProcessBus();
  let now = 1_000;
  /** Send passes waiting for the end of the turn: each publish is a turn of its own. */
  const turns: Array<() => void> = [];
  const snapshot = (callId: string) =>
    emptySnapshot({
      _id: `row-${callId}`,
      callId,
      status: 'connected',
      customerPhone: '+44 7700 900123',
    } as unknown as LiveCall);
  const hub = new Hub(
    bus,
    {
      callSnapshot: (callId) => (callId === 'unknown' ? undefined : snapshot(callId)),
      wallboardEntries: () => [],
    },
    { afterTurn: (callback) => turns.push(callback), clock: () => now, idleHistoryMs: GRACE },
  );
  let serialised = 0;
  const publish = (callId: string, agentGain: number) => {
    const change = { table: 'liveCalls', id: `row-${callId}`, set: { agentGain } } as CallChange;
    // Counts the hub asking for the change's JSON.
    const counted = { ...change, toJSON: () => (serialised++, change) } as unknown as CallChange;
    bus.publish({ callId, changes: [counted], entry: { callId } as never });
    for (const pass of turns.splice(0)) pass();
  };
  /** A supervisor's socket: subscribes (or resumes) and records every frame. */
  const connect = (callId: string, resumeFrom?: number) => {
    const frames: ServerMessage[] = [];
    const sink: Sink = {
      send: (text) => frames.push(JSON.parse(text) as ServerMessage),
      bufferedAmount: () => 0,
      close: () => {},
    };
    const session = new Session(hub, sink);
    session.handle({
      type: 'subscribe',
      id: 's1',
      topic: { kind: 'call', callId },
      ...(resumeFrom !== undefined ? { resumeFrom } : {}),
    });
    const versions = () =>
      frames.flatMap((f) => (f.type === 'snapshot' || f.type === 'delta' ? [f.version] : []));
    return { frames, session, last: () => versions().at(-1)! };
  };
  return {
    hub,
    publish,
    connect,
    serialised: () => serialised,
    advance: (ms: number) => (now += ms),
  };
}

describe('idle call history', () => {
  it('neither serialises nor holds the changes of a call no one follows', () => {
    const { hub, publish, connect, serialised } = setup();
    for (let i = 0; i < 50; i++) publish('c-1', i);
    expect(serialised()).toBe(0);
    expect(hub.callLog('c-1').holding).toBe(false);
    // A first subscriber gets the current version in its snapshot, and deltas from there.
    const viewer = connect('c-1');
    expect(viewer.frames[0]).toMatchObject({
      type: 'snapshot',
      version: hub.callLog('c-1').version,
    });
    publish('c-1', 99);
    expect(serialised()).toBe(1);
    expect(viewer.frames.at(-1)).toMatchObject({
      type: 'delta',
      fromVersion: hub.callLog('c-1').version,
      changes: [{ set: { agentGain: 99 } }],
    });
  });

  it('resumes with exactly the missed deltas within the grace, and resyncs after it', () => {
    const { hub, publish, connect, advance } = setup();
    const first = connect('c-1');
    publish('c-1', 1);
    const seen = first.last();
    first.session.detach(); // the socket dropped
    publish('c-1', 2);
    publish('c-1', 3);
    advance(GRACE - 1);
    const back = connect('c-1', seen);
    expect(back.frames.filter((f) => f.type === 'delta')).toMatchObject([
      { fromVersion: seen + 1, changes: [{ set: { agentGain: 2 } }] },
      { fromVersion: seen + 2, changes: [{ set: { agentGain: 3 } }] },
    ]);

    const resumedAt = back.last();
    back.session.detach();
    advance(GRACE);
    publish('c-1', 4); // idle for the whole grace: not held
    expect(hub.callLog('c-1').holding).toBe(false);
    const late = connect('c-1', resumedAt);
    expect(late.frames.map((f) => f.type)).toEqual(['resync', 'snapshot', 'presence']);
    expect(late.last()).toBe(hub.callLog('c-1').version);
  });

  it('keeps nothing for a subscription it refuses', () => {
    const { hub, connect } = setup();
    const refused = connect('unknown');
    expect(refused.frames).toMatchObject([{ type: 'error', problem: { status: 404 } }]);
    expect((hub as unknown as { callLogs: Map<string, unknown> }).callLogs.has('unknown')).toBe(
      false,
    );
  });

  it('lets go of an idle call’s history when another call’s update sweeps', () => {
    const { hub, publish, connect, advance } = setup();
    const viewer = connect('ended');
    for (let i = 0; i < 5; i++) publish('ended', i);
    viewer.session.detach();
    for (let i = 5; i < 10; i++) publish('ended', i); // its last changes, as it ends
    expect(hub.callLog('ended').holding).toBe(true);
    advance(GRACE / 2);
    publish('busy', 1);
    expect(hub.callLog('ended').holding).toBe(true); // within the grace
    advance(GRACE / 2);
    publish('busy', 2);
    expect(hub.callLog('ended').holding).toBe(false);
    const back = connect('ended', viewer.last());
    expect(back.frames[0]).toMatchObject({ type: 'resync' });
  });
});
