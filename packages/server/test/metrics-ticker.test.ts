// The 5 s metrics ticker, driven by an injected clock: one livePerformanceMetrics row per
// connected call per tick, none for calls not connected.
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { tickPartOf } from '../src/ingest/call-service.ts';
import { TICK_PARTS } from '../src/jobs/metrics-ticker.ts';
import { createEarshot, type Earshot } from '../src/server.ts';
import { livePerformanceMetrics } from '../src/store/schema.ts';
import { T0 } from './support/earshot.ts';
import { FakeTimers } from './support/fake-timers.ts';
import { scriptedEvents, startRequest } from './support/scripted-call.ts';

describe('metrics ticker', () => {
  let earshot: Earshot;
  const timers = new FakeTimers(T0);

  beforeAll(async () => {
    // Only the ticker and sweeper run on fake timers; the write-behind keeps real ones.
    earshot = await createEarshot(
      loadConfig({ 'data-dir': 'memory://' }, {}),
      pino({ level: 'silent' }),
      {
        clock: timers.clock,
        timers,
      },
    );
  });
  afterAll(() => earshot.close());

  async function metricRows(callId: string) {
    const id = earshot.calls.snapshot(callId)!.liveCall._id;
    return earshot.store.database.db
      .select()
      .from(livePerformanceMetrics)
      .where(eq(livePerformanceMetrics.liveCallId, id));
  }

  it('writes one metrics row per connected call every 5 s and none for others', async () => {
    await earshot.calls.start(startRequest('ticking-1'));
    await earshot.calls.ingest('ticking-1', scriptedEvents(60));
    await earshot.calls.start(startRequest('ringing-1'));
    await earshot.calls.ingest('ringing-1', [{ type: 'status', seq: 1, status: 'ringing' }]);

    // The pass is spread over the 5 s in ten parts: the call ticks in its part, once per 5 s.
    const part = tickPartOf('ticking-1', TICK_PARTS);
    const first = ((part + 1) * 5_000) / TICK_PARTS;
    await timers.advance(first - 1);
    expect(await metricRows('ticking-1')).toHaveLength(0);
    await timers.advance(1);
    expect(await metricRows('ticking-1')).toHaveLength(1);
    await timers.advance(10_000);
    const rows = await metricRows('ticking-1');
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.updatedAt).sort()).toEqual([
      T0 + first,
      T0 + first + 5_000,
      T0 + first + 10_000,
    ]);
    for (const row of rows) {
      for (const field of [
        'scriptAdherence',
        'agentConfidence',
        'conversationQuality',
        'prospectEngagement',
        'conversionProbability',
      ] as const) {
        expect(row[field]).toBeGreaterThanOrEqual(0);
        expect(row[field]).toBeLessThanOrEqual(100);
      }
    }
    expect(await metricRows('ringing-1')).toHaveLength(0);
    // The call's duration follows the clock.
    expect(earshot.calls.snapshot('ticking-1')!.liveCall.duration).toBeGreaterThanOrEqual(15);
  });
});
