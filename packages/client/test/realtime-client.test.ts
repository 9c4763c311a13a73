// The client asks again, a second or so later, for a subscription the server could not answer
// yet (503: a restarted server still reading the call back), or after the wait a 429 names,
// until an answer comes; other refusals are final. A copy that cannot take a change starts
// again from a snapshot.
import { EarshotError, type ClientMessage, type ServerMessage } from '@earshot/protocol';
import { expect, it } from 'vitest';
import { RealtimeClient, type SocketLike } from '../src/realtime-client.ts';

/** A client on a socket the test plays the server for, with timers run by hand. */
function connected(random = () => 0) {
  const sent: ClientMessage[] = [];
  const timers: Array<{ callback: () => void; ms: number }> = [];
  let socket: SocketLike | undefined;
  const client = new RealtimeClient({
    url: 'ws://earshot.test/api/v1/realtime',
    token: 'key',
    socket: () =>
      (socket = {
        readyState: 1,
        send: (data) => sent.push(JSON.parse(data) as ClientMessage),
        close: () => undefined,
        onopen: null,
        onmessage: null,
        onclose: null,
        onerror: null,
      }),
    setTimeout: (callback, ms) => timers.push({ callback, ms }),
    random,
  });
  const receive = (message: ServerMessage) =>
    socket!.onmessage?.({ data: JSON.stringify(message) });
  socket!.onopen?.({});
  receive({ type: 'ready', heartbeatMs: 15_000 });
  const subscribes = () => sent.filter((message) => message.type === 'subscribe');
  const runTimers = () => timers.splice(0).forEach(({ callback }) => callback());
  return { client, receive, subscribes, timers, runTimers };
}

it('asks again for a subscription refused with 503, and stops once a snapshot comes', () => {
  const server = connected();
  const problems: number[] = [];
  const snapshots: unknown[] = [];
  const { id } = server.client.subscribe(
    { kind: 'call', callId: 'ended-1' },
    {
      onSnapshot: (data) => snapshots.push(data),
      onDelta: () => undefined,
      onError: (problem) => problems.push(problem.status),
    },
  );
  expect(server.subscribes()).toHaveLength(1);
  const notYet = new EarshotError('unavailable', 'still being read back', { retryAfter: 1 });
  server.receive({ type: 'error', id, problem: notYet.toProblem() });
  expect(problems).toEqual([503]);
  expect(server.timers.map((timer) => timer.ms)).toEqual([1_000]);
  server.runTimers();
  expect(server.subscribes()).toHaveLength(2);
  server.receive({ type: 'snapshot', id, version: 7, data: { liveCall: { callId: 'ended-1' } } });
  expect(snapshots).toHaveLength(1);
  expect(server.timers).toHaveLength(0);
});

it('asks again once a 429 says when, but not after a 429 that says nothing', () => {
  const server = connected();
  const handlers = { onSnapshot: () => undefined, onDelta: () => undefined };
  const limited = server.client.subscribe({ kind: 'call', callId: 'busy' }, handlers);
  const slowDown = new EarshotError('rate_limited', 'Too many messages', { retryAfter: 3 });
  server.receive({ type: 'error', id: limited.id, problem: slowDown.toProblem() });
  expect(server.timers.map((timer) => timer.ms)).toEqual([3_000]);
  server.runTimers();
  expect(server.subscribes()).toHaveLength(2);

  // The jitter adds to the wait, never takes from it: asked sooner, it would be refused again.
  const jittered = connected(() => 0.999);
  const late = jittered.client.subscribe({ kind: 'call', callId: 'busy' }, handlers);
  jittered.receive({ type: 'error', id: late.id, problem: slowDown.toProblem() });
  expect(jittered.timers.map((timer) => Math.round(timer.ms))).toEqual([4_499]);

  const capped = server.client.subscribe({ kind: 'call', callId: 'one-too-many' }, handlers);
  server.receive({
    type: 'error',
    id: capped.id,
    problem: new EarshotError('rate_limited', 'At most 100 subscriptions').toProblem(),
  });
  expect(server.timers).toHaveLength(0);
});

it('does not ask again after a 404, nor for a subscription dropped meanwhile', () => {
  const server = connected();
  const handlers = { onSnapshot: () => undefined, onDelta: () => undefined };
  const missing = server.client.subscribe({ kind: 'call', callId: 'never' }, handlers);
  server.receive({
    type: 'error',
    id: missing.id,
    problem: new EarshotError('not_found', 'No call never').toProblem(),
  });
  expect(server.timers).toHaveLength(0);

  const dropped = server.client.subscribe({ kind: 'call', callId: 'ended-2' }, handlers);
  server.receive({
    type: 'error',
    id: dropped.id,
    problem: new EarshotError('unavailable', 'still being read back').toProblem(),
  });
  dropped.unsubscribe();
  server.runTimers();
  expect(server.subscribes().map((message) => 'id' in message && message.id)).toEqual([
    missing.id,
    dropped.id,
  ]);
});

it('starts a subscription again from a snapshot when its copy cannot take a change', () => {
  const server = connected();
  let snapshots = 0;
  const { id } = server.client.subscribe(
    { kind: 'call', callId: 'c-1' },
    {
      onSnapshot: () => (snapshots += 1),
      onDelta: () => {
        throw new Error('Patch of liveCalls:x, a row not held');
      },
    },
  );
  server.receive({ type: 'snapshot', id, version: 4, data: { liveCall: { callId: 'c-1' } } });
  server.receive({ type: 'delta', id, fromVersion: 5, version: 5, changes: [] });
  expect(server.client.versionOf(id)).toBeUndefined();
  expect(server.subscribes().filter((m) => 'id' in m && m.id === id)).toHaveLength(2);
  expect(server.subscribes().at(-1)).not.toHaveProperty('resumeFrom');
  expect(snapshots).toBe(1);
});
