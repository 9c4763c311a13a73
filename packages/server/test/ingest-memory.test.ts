// What an ingested event leaves alive while it waits for its commit. On a busy server
// thousands of events wait at once; anything they hold survives young collections and is
// copied by each of them (docs/benchmarks.md, 1,000 calls). A waiting event must hold its
// answer, not the call's previous state (nor the frame, its parsed form or the whole result).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { CallState } from '@earshot/engine';
import { describe, expect, it } from 'vitest';
import { callServiceCommitting } from './support/call-service.ts';
import { scriptedEvents, startRequest } from './support/scripted-call.ts';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** A new job, so that WeakRefs made in this one no longer hold their targets. */
const nextJob = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('an event waiting for its commit', () => {
  it('does not hold the call state it replaced', async () => {
    let gate = Promise.resolve();
    let release: () => void = () => undefined;
    // The database takes its time: a commit waits for the gate the test holds.
    const { calls, writer } = callServiceCommitting(() => gate);
    await calls.start(startRequest('memory-1', { campaignName: undefined }));
    gate = new Promise<void>((resolve) => (release = resolve));

    const states = (calls as unknown as { calls: Map<string, CallState> }).calls;
    const previous = new WeakRef(states.get('memory-1')!);
    const answer = calls.ingestFrame('memory-1', JSON.stringify({ events: scriptedEvents(1) }));
    await nextJob();
    collectGarbage();
    // Applied (a new state is current) but not committed: the commit is still held.
    expect(states.get('memory-1')).not.toBe(previous.deref());
    expect(previous.deref()).toBeUndefined();
    let settled = false;
    void answer.then(() => (settled = true));
    await nextJob();
    expect(settled).toBe(false);
    release();
    expect(await answer).toMatchObject({ type: 'ack', accepted: 1 });
    await writer.stop();
  });
});
