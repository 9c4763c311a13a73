// The server's own work per ingested event, with no sockets and no database: a streaming
// ingest frame parsed and validated, applied by the engine (analysis, redaction), published
// through the bus to the hub, queued and sent to two subscriber sessions per call plus 20
// wallboard sessions. The sessions' sinks only count what they are given, and the
// write-behind commits to nowhere. C calls replay the simulator's stream (as the demo and the
// realtime benchmark do), one event per frame, round robin.
//
// The realtime benchmark measures the same path end to end, but on a 2-core machine shared
// with its load generator and PostgreSQL its CPU figures move by a third between runs; this
// one runs alone in one process, so a change in the cost per event shows.
//   BENCH_PIPELINE_CALLS (500)   BENCH_PIPELINE_EVENTS (150000)   BENCH_PIPELINE_SUBSCRIBERS (2)
// Run it with the server's young-generation size for figures comparable with the server's:
//   NODE_OPTIONS=--max-semi-space-size=64 npm run bench -- pipeline
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import type { Campaign } from '@earshot/protocol';
import { CallService } from '../packages/server/src/ingest/call-service.ts';
import { WriteBehind } from '../packages/server/src/jobs/write-behind.ts';
import { InProcessBus } from '../packages/server/src/realtime/bus.ts';
import { Hub } from '../packages/server/src/realtime/hub.ts';
import { Session, type Sink } from '../packages/server/src/realtime/session.ts';
import type { Store } from '../packages/server/src/store/index.ts';
import { SALES_CAMPAIGN, startRequest } from '../packages/server/test/support/scripted-call.ts';
import { plannedEvents } from '../packages/simulator/src/index.ts';
import { watchGcPauses } from './support/gc-pauses.ts';
import { report } from './support/measure.ts';

const CALLS = Number(process.env.BENCH_PIPELINE_CALLS ?? 500);
const EVENTS = Number(process.env.BENCH_PIPELINE_EVENTS ?? 150_000);
/** Realtime subscribers per call (0: only the wallboards follow, as on most of a contact centre's calls). */
const SUBSCRIBERS = Number(process.env.BENCH_PIPELINE_SUBSCRIBERS ?? 2);
/** Events per call before timing starts: the JIT warms up and every call is connected. */
const WARMUP_PER_CALL = 30;

export async function run(): Promise<void> {
  const logger = pino({ level: 'silent' });
  const campaign = {
    _id: '11111111-1111-4111-8111-111111111111',
    _creationTime: 0,
    ...SALES_CAMPAIGN,
    createdAt: 0,
    updatedAt: 0,
  } as unknown as Campaign;
  // The only part of the store a call service reads on this path: the campaign at start.
  const store = {
    campaigns: { get: async () => campaign, findByName: async () => campaign },
  } as unknown as Store;
  let rows = 0;
  const writer = new WriteBehind({
    commit: async (batch) => {
      rows += batch.length;
    },
    logger,
    flushIntervalMs: 10,
  });
  writer.start();
  const bus = new InProcessBus();
  const calls = new CallService({ store, writer, bus, logger });
  const hub = new Hub(bus, calls);
  let frames = 0;
  let bytes = 0;
  const sink: Sink = {
    send: (text) => {
      frames++;
      bytes += text.length;
    },
    bufferedAmount: () => 0,
    close: () => {},
  };

  const callIds = Array.from({ length: CALLS }, (_, i) => `pipeline-${i + 1}`);
  for (const callId of callIds) await calls.start(startRequest(callId));
  for (const callId of callIds) {
    for (let s = 0; s < SUBSCRIBERS; s++)
      new Session(hub, sink).handle({
        type: 'subscribe',
        id: 's1',
        topic: { kind: 'call', callId },
      });
  }
  for (let w = 0; w < 20; w++)
    new Session(hub, sink).handle({ type: 'subscribe', id: 'w1', topic: { kind: 'wallboard' } });

  const perCall = WARMUP_PER_CALL + Math.ceil(EVENTS / CALLS);
  const planned = plannedEvents('pipeline', 1, perCall);
  const script = planned.map((event) => JSON.stringify({ events: [event] }));
  /** The synchronous part by event type: where a leaner path would pay most. */
  const byType = new Map<string, { events: number; ms: number }>();

  const latencies: number[] = [];
  let timed = false;
  // Collections during the timed part: young ones pause for what survives them, so their
  // count and total pause show how much of each event outlives it.
  const collections = watchGcPauses();
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  let peakRss = process.memoryUsage.rss();
  let pending: Array<Promise<unknown>> = [];
  for (let round = 0; round < perCall; round++) {
    if (round === WARMUP_PER_CALL) {
      await Promise.all(pending);
      pending = [];
      timed = true;
      collections.reset();
      frames = 0;
      bytes = 0;
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    }
    for (const callId of callIds) {
      const start = performance.now();
      // Everything up to the commit happens before ingestFrame returns its promise.
      pending.push(calls.ingestFrame(callId, script[round]!));
      if (timed) {
        const ms = performance.now() - start;
        latencies.push(ms);
        const type = planned[round]!.type;
        const sum = byType.get(type) ?? { events: 0, ms: 0 };
        sum.events += 1;
        sum.ms += ms;
        byType.set(type, sum);
      }
    }
    // After each round (one event per call), let the send passes and the write-behind run, as
    // a server's turns would: a call's events are 100 ms apart, so each leaves in its own frame.
    {
      await Promise.all(pending);
      pending = [];
      await new Promise((resolve) => setImmediate(resolve));
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }
  }
  await Promise.all(pending);
  await writer.flush();
  const wallMs = performance.now() - t0;
  const gc = collections.read();
  collections.stop();
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const events = latencies.length;
  console.log(
    report({
      name: `ingest → engine → hub → sessions, in process, ${CALLS} calls, ${SUBSCRIBERS} subscribers each + 20 wallboards`,
      units: events,
      unitName: 'events',
      latencies,
      wallMs,
      cpuMs,
      peakRssMb: Math.max(peakRss, process.memoryUsage.rss()) / 1024 / 1024,
    }),
  );
  console.log(
    `  cpu per event ${((cpuMs * 1000) / events).toFixed(1)} µs; frames to subscribers ${frames.toLocaleString('en')} (${Math.round(bytes / frames)} B each); rows to the write-behind ${rows.toLocaleString('en')}`,
  );
  console.log(
    `  collections: ${gc.young} young (${gc.youngMs.toFixed(0)} ms paused, ${((gc.youngMs * 1000) / events).toFixed(1)} µs an event), ${gc.full} full or incremental steps (${gc.fullMs.toFixed(0)} ms)`,
  );
  const types = [...byType.entries()].sort((a, b) => b[1].events - a[1].events);
  console.log(
    `  synchronous part by event type, mean µs: ${types
      .map(
        ([type, sum]) =>
          `${type} ${((sum.ms * 1000) / sum.events).toFixed(1)} (${((sum.events / events) * 100).toFixed(0)}% of events)`,
      )
      .join(', ')}`,
  );
  await writer.drain();
  await writer.stop();
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
