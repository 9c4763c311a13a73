// How long a process takes to start serving again after a restart (or a kill -9), and to hold
// every call again. It reads back every call the store still holds: the live ones before it
// serves, and those that ended within the retention hour after, in the background (decision
// 0036). A busy site ends thousands of calls an hour, so the ended ones are most of the work.
// Setup (not timed): C ended calls, each with the simulator's first five minutes of a call
// without its audio levels (about 400 events: transcript interims and finals, phases,
// objectives, health, coaching), plus L live calls halfway through the same. Then, R times, a
// fresh call service restores them all (`openCallService`), as `earshot serve` does at start;
// the time until it resolves (serving) is printed beside the time until every call is held.
//   BENCH_RESTART_ENDED (200)   BENCH_RESTART_LIVE (20)   BENCH_RESTART_RUNS (3)
import pino from 'pino';
import type { IngestEvent } from '@earshot/protocol';
import { openCallService } from '../packages/server/src/ingest/call-service.ts';
import { InProcessBus } from '../packages/server/src/realtime/bus.ts';
import { openStore, type Store } from '../packages/server/src/store/index.ts';
import {
  createPostgresDatabase,
  postgresAvailable,
} from '../packages/server/test/support/databases.ts';
import { SALES_CAMPAIGN, startRequest } from '../packages/server/test/support/scripted-call.ts';
import { plannedEvents } from '../packages/simulator/src/index.ts';
import { measure, report } from './support/measure.ts';

const ENDED = Number(process.env.BENCH_RESTART_ENDED ?? 200);
const LIVE = Number(process.env.BENCH_RESTART_LIVE ?? 20);
const RUNS = Number(process.env.BENCH_RESTART_RUNS ?? 3);
const logger = pino({ level: 'silent' });

/** Five minutes of a simulated call (3,000 events at 10 a second), audio levels left out. */
const SCRIPT: IngestEvent[] = plannedEvents('restart', 1, 3_000).filter((e) => e.type !== 'audio');

async function fill(store: Store): Promise<void> {
  await store.campaigns.create({ ...SALES_CAMPAIGN, createdAt: Date.now(), updatedAt: Date.now() });
  const { calls, writer } = await openCallService({
    store,
    bus: new InProcessBus(),
    logger,
    flushIntervalMs: 10,
  });
  writer.start();
  const play = async (callId: string, events: IngestEvent[]) => {
    await calls.start(startRequest(callId));
    const batches: Array<Promise<unknown>> = [];
    for (let i = 0; i < events.length; i += 50)
      batches.push(calls.ingest(callId, events.slice(i, i + 50)));
    await Promise.all(batches);
  };
  for (let c = 0; c < ENDED; c++) {
    await play(`ended-${c}`, SCRIPT);
    await calls.end(`ended-${c}`, 'completed');
  }
  for (let c = 0; c < LIVE; c++) await play(`live-${c}`, SCRIPT.slice(0, SCRIPT.length / 2));
  await writer.drain();
  await writer.stop();
}

async function benchRestart(label: string, store: Store): Promise<void> {
  await fill(store);
  const serving: number[] = [];
  const result = await measure(
    `restart, ${label}: ${ENDED} ended + ${LIVE} live calls of ${SCRIPT.length} events restored`,
    'calls',
    RUNS,
    ENDED + LIVE,
    async () => {
      const started = performance.now();
      const { calls } = await openCallService({
        store,
        bus: new InProcessBus(),
        logger,
        flushIntervalMs: 10,
      });
      serving.push(performance.now() - started);
      if (calls.liveCalls().length !== LIVE) throw new Error('served before the live calls');
      await calls.endedReadBack;
      const restored = calls.liveCalls().length;
      if (restored !== ENDED + LIVE) throw new Error(`restored ${restored} calls`);
    },
  );
  console.log(report(result));
  serving.sort((a, b) => a - b);
  console.log(
    `  serving after ${serving[0]!.toFixed(0)}–${serving.at(-1)!.toFixed(0)} ms (the ${LIVE} live calls read back); every call held after the time above`,
  );
  const perCall = result.latencies.map((ms) => ms / (ENDED + LIVE)).sort((a, b) => a - b);
  console.log(
    `  per call restored: ${perCall[0]!.toFixed(2)}–${perCall.at(-1)!.toFixed(2)} ms; at that rate 12,000 calls (an hour of 1,000 concurrent five-minute calls) take ${((perCall[0]! * 12_000) / 1000).toFixed(0)}–${((perCall.at(-1)! * 12_000) / 1000).toFixed(0)} s`,
  );
}

export async function run(): Promise<void> {
  const embedded = await openStore({ kind: 'pglite', dataDir: undefined });
  await benchRestart('PGlite (in memory)', embedded);
  await embedded.close();

  if (!postgresAvailable) {
    console.log('restart, PostgreSQL: skipped (no server at EARSHOT_TEST_POSTGRES_URL)');
    return;
  }
  const database = await createPostgresDatabase();
  const postgres = await openStore({ kind: 'postgres', url: database.url });
  await benchRestart('PostgreSQL 15', postgres);
  await postgres.close();
  await database.drop();
}
