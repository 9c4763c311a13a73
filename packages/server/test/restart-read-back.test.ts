// A restart reads the live calls back before it serves, and the ended ones (within the
// retention hour, often thousands) after, in the background (decision 0036). Until an ended
// call is read back, what names it is answered 503 with Retry-After; once read, it answers as
// it did before the restart.
import pino from 'pino';
import { EarshotError } from '@earshot/protocol';
import { expect, it } from 'vitest';
import type { SupervisorActionInput } from '@earshot/engine';
import { openCallService } from '../src/ingest/call-service.ts';
import { InProcessBus, type CallUpdate } from '../src/realtime/bus.ts';
import type { Store } from '../src/store/index.ts';
import { describeEachDatabase } from './support/databases.ts';
import { SALES_CAMPAIGN, scriptedEvents, startRequest } from './support/scripted-call.ts';

const logger = pino({ level: 'silent' });
const NOTE: SupervisorActionInput = {
  supervisorId: 'sup-1',
  supervisorName: 'Riley',
  action: 'ADD_NOTE',
  details: 'called back',
};

/** `store`, with every read of an ended call held until `open()`. */
function gated(store: Store): { store: Store; open: () => void } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const calls = Object.create(store.calls) as Store['calls'];
  calls.read = async (id) => {
    const snapshot = await store.calls.read(id);
    if (snapshot?.liveCall.status === 'ended') await gate;
    return snapshot;
  };
  return { store: { ...store, calls }, open };
}

/** A new process on the store: its call service, and every update it publishes. */
async function restart(store: Store, clock?: () => number) {
  const bus = new InProcessBus();
  const published: CallUpdate[] = [];
  bus.subscribe((update) => published.push(update));
  const { calls, writer } = await openCallService({
    store,
    bus,
    logger,
    flushIntervalMs: 1,
    ...(clock ? { clock } : {}),
  });
  writer.start();
  return { calls, writer, published };
}

describeEachDatabase('reading calls back at a restart', (store) => {
  it('serves the live calls at once and each ended call once read, with 503 for it until then', async () => {
    const now = Date.now();
    await store().campaigns.create({ ...SALES_CAMPAIGN, createdAt: now, updatedAt: now });
    const first = await restart(store());
    for (const callId of ['live-1', 'ended-1', 'ended-2']) {
      await first.calls.start(startRequest(callId));
      await first.calls.ingest(callId, scriptedEvents(20));
    }
    await first.calls.end('ended-1', 'completed');
    await first.calls.end('ended-2', 'completed');
    await first.calls.drain();
    await first.writer.stop();

    const reads = gated(store());
    const second = await restart(reads.store);
    // Serving, though no ended call has been read: the live call takes events.
    expect(second.calls.snapshot('live-1')?.liveCall.status).toBe('connected');
    await expect(second.calls.ingest('live-1', scriptedEvents(21).slice(20))).resolves.toEqual({
      accepted: 1,
      duplicates: 0,
      lastSeq: 21,
    });
    expect(second.calls.snapshot('ended-1')).toBeUndefined();
    expect(second.calls.readingBack('ended-1')).toEqual({
      campaignId: second.calls.snapshot('live-1')!.liveCall.campaignId,
    });
    // An action, a resend and a repeated start alike: 503, retry in a second.
    for (const attempt of [
      () => second.calls.act('ended-1', NOTE),
      () => second.calls.ingest('ended-1', scriptedEvents(1)),
      () => second.calls.start(startRequest('ended-2')),
    ])
      await expect(attempt()).rejects.toMatchObject({ kind: 'unavailable', retryAfter: 1 });
    // A call that never was is still a 404.
    await expect(second.calls.act('never', NOTE)).rejects.toMatchObject({ kind: 'not_found' });

    reads.open();
    await second.calls.endedReadBack;
    expect(second.calls.readingBack('ended-1')).toBeUndefined();
    expect(second.calls.snapshot('ended-1')?.liveCall.status).toBe('ended');
    // Each was published with its row, so wallboards gain it.
    const rows = second.published.filter((update) => update.entry.endedAt !== undefined);
    expect(rows.map((update) => update.callId).sort()).toEqual(['ended-1', 'ended-2']);
    // And answers as before the restart: a note, a resend answered from the event log.
    await expect(second.calls.act('ended-1', NOTE)).resolves.toMatchObject({
      action: { action: 'ADD_NOTE' },
    });
    await expect(second.calls.ingest('ended-2', scriptedEvents(20))).resolves.toEqual({
      accepted: 0,
      duplicates: 20,
      lastSeq: 20,
    });
    await second.calls.drain();
    await second.writer.stop();
  });

  it('leaves out an ended call swept before it was read back: it is gone, not pending', async () => {
    const reads = gated(store());
    const third = await restart(reads.store);
    expect(third.calls.readingBack('ended-2')).toBeDefined();
    expect(await third.calls.sweep(0)).toEqual({ deleted: 2, skipped: false });
    expect(third.calls.readingBack('ended-2')).toBeUndefined();
    await expect(third.calls.act('ended-2', NOTE)).rejects.toMatchObject({ kind: 'not_found' });
    reads.open();
    await third.calls.endedReadBack;
    expect(third.calls.snapshot('ended-2')).toBeUndefined();
    await third.calls.drain();
    await third.writer.stop();
  });

  it('stops reading back when it drains', async () => {
    await (async () => {
      const first = await restart(store());
      await first.calls.start(startRequest('ended-3'));
      await first.calls.end('ended-3', 'completed');
      await first.calls.drain();
      await first.writer.stop();
    })();
    const reads = gated(store());
    const fourth = await restart(reads.store);
    const drained = fourth.calls.drain();
    reads.open(); // the read under way finishes; nothing more is taken
    await drained;
    expect(fourth.calls.snapshot('ended-3')).toBeUndefined();
    expect(fourth.calls.readingBack('ended-3')).toBeUndefined();
    await fourth.writer.stop();
  });

  it('reads again once the database is back, and leaves out a call it cannot read', async () => {
    const first = await restart(store());
    for (const callId of ['ended-4', 'ended-5']) {
      await first.calls.start(startRequest(callId));
      await first.calls.end(callId, 'completed');
    }
    await first.calls.drain();
    await first.writer.stop();
    let attempts = 0;
    const calls = Object.create(store().calls) as Store['calls'];
    calls.read = async (id) => {
      const snapshot = await store().calls.read(id);
      if (snapshot?.liveCall.callId === 'ended-4' && attempts++ === 0)
        throw new EarshotError('unavailable', 'The database is unavailable; retry shortly');
      if (snapshot?.liveCall.callId === 'ended-5') throw new Error('a row no restore can read');
      return snapshot;
    };
    const fifth = await restart({ ...store(), calls });
    await fifth.calls.endedReadBack; // after one retry, a second later
    expect(attempts).toBe(2);
    expect(fifth.calls.snapshot('ended-4')?.liveCall.status).toBe('ended');
    expect(fifth.calls.readingBack('ended-5')).toBeUndefined();
    await expect(fifth.calls.act('ended-5', NOTE)).rejects.toMatchObject({ kind: 'not_found' });
    await fifth.calls.drain();
    await fifth.writer.stop();
  });
  it("keeps a silent call's stale countdown across a restart: metrics ticks are not events", async () => {
    let now = Date.parse('2026-11-23T10:00:00.000Z');
    const clock = () => now;
    // The campaign may be there already, from the test before.
    await store()
      .campaigns.create({ ...SALES_CAMPAIGN, createdAt: now, updatedAt: now })
      .catch((error: unknown) => expect(error).toMatchObject({ kind: 'conflict' }));
    const first = await restart(store(), clock);
    await first.calls.start(startRequest('silent-1'));
    await first.calls.ingest('silent-1', [
      { type: 'status', seq: 1, status: 'ringing' },
      { type: 'status', seq: 2, status: 'connected' },
    ]);
    for (let minute = 0; minute < 9; minute++) {
      now += 60_000;
      await first.calls.tickAll(); // each tick rewrites the call's row (updatedAt)
    }
    await first.calls.drain();
    await first.writer.stop();

    const second = await restart(store(), clock);
    now += 2 * 60_000; // 11 minutes since the call last sent anything
    expect(await second.calls.endStale(10 * 60_000)).toEqual(['silent-1']);
    await second.calls.drain();
    await second.writer.stop();
  });

  it('keeps the redaction policy a call started with across a restart, though its campaign changed', async () => {
    const now = Date.now();
    const created = await store().campaigns.create({
      ...SALES_CAMPAIGN,
      name: 'Policy kept',
      redaction: { email: 'redact' },
      createdAt: now,
      updatedAt: now,
    });
    const first = await restart(store());
    await first.calls.start(startRequest('policy-1', { campaignName: 'Policy kept' }));
    await first.calls.drain();
    await first.writer.stop();
    // Emails are kept from now on: for calls that start now, not for policy-1.
    await store().campaigns.update(created._id, { redaction: { email: 'keep' } });

    const second = await restart(store());
    await second.calls.ingest('policy-1', [
      { type: 'status', seq: 1, status: 'ringing' },
      { type: 'status', seq: 2, status: 'connected' },
      {
        type: 'transcript',
        seq: 3,
        segmentId: 's1',
        speaker: 'customer',
        text: 'write to sam@example.com please',
        isFinal: true,
        timestamp: '0:03',
      },
    ]);
    await second.calls.start(startRequest('policy-2', { campaignName: 'Policy kept' }));
    await second.calls.ingest('policy-2', [
      {
        type: 'transcript',
        seq: 1,
        segmentId: 's1',
        speaker: 'customer',
        text: 'write to sam@example.com please',
        isFinal: true,
        timestamp: '0:03',
      },
    ]);
    const text = (callId: string) => second.calls.snapshot(callId)!.liveTranscripts[0]!.text;
    expect(text('policy-1')).toBe('write to [EMAIL] please');
    expect(text('policy-2')).toBe('write to sam@example.com please');
    // Ended, and read back after another restart, it still redacts a note by its own policy.
    await second.calls.end('policy-1', 'completed');
    await second.calls.drain();
    await second.writer.stop();
    const third = await restart(store());
    await third.calls.endedReadBack;
    const { action: noted } = await third.calls.act('policy-1', {
      supervisorId: 'sup-1',
      supervisorName: 'Riley',
      action: 'ADD_NOTE',
      details: 'customer wrote from sam@example.com',
    });
    expect(noted.details).toBe('customer wrote from [EMAIL]');
    await third.calls.drain();
    await third.writer.stop();
  });
});
