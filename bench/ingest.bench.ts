// HTTP ingest throughput: a real server (createEarshot + listen) and C calls posting their
// scripted events at once, each call one batch at a time, over real HTTP with fetch. A batch
// is acknowledged (200) only once it is committed, so this measures durable events per
// second. Each database runs in its own child process, so CPU and peak RSS are its own.
//   BENCH_CALLS (20)  concurrent calls      BENCH_BATCH (10)  events per request
//   BENCH_EVENTS (40000)  events in total, split evenly across the calls
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventBatchResponse } from '@earshot/protocol';
import { count, gt } from 'drizzle-orm';
import pino from 'pino';
import { loadConfig } from '../packages/server/src/config.ts';
import { createEarshot } from '../packages/server/src/server.ts';
import { callEvents } from '../packages/server/src/store/schema.ts';
import {
  createPostgresDatabase,
  postgresAvailable,
  TEST_POSTGRES_URL,
} from '../packages/server/test/support/databases.ts';
import { planCall, plannedEvents, SCENARIOS } from '../packages/simulator/src/index.ts';
import { measureConcurrent, report } from './support/measure.ts';

const CALLS = Number(process.env.BENCH_CALLS ?? 20);
const BATCH = Number(process.env.BENCH_BATCH ?? 10);
const TOTAL_EVENTS = Number(process.env.BENCH_EVENTS ?? 40_000);

const THIS_FILE = fileURLToPath(import.meta.url);

/** What one child process benchmarks: a label and the server flags selecting its database. */
interface Target {
  label: string;
  flags: Record<string, string>;
}

/** Events call `index` sends: TOTAL_EVENTS split as evenly as possible across the calls. */
function eventsForCall(index: number): number {
  return Math.floor(TOTAL_EVENTS / CALLS) + (index < TOTAL_EVENTS % CALLS ? 1 : 0);
}

async function expectStatus(response: Response, status: number, what: string): Promise<string> {
  const text = await response.text();
  if (response.status !== status)
    throw new Error(`${what}: expected ${status}, got ${response.status}: ${text}`);
  return text;
}

/** Runs in the child: one server on one database, the calls, and the report. */
async function benchTarget(target: Target): Promise<void> {
  const config = loadConfig({ port: '0', 'log-level': 'silent', ...target.flags }, {});
  const earshot = await createEarshot(config, pino({ level: 'silent' }));
  try {
    const base = await earshot.listen();
    const ingestKey = (await earshot.keys.create({ name: 'bench', scopes: ['ingest'] })).key;
    const manageKey = (await earshot.keys.create({ name: 'bench-admin', scopes: ['manage'] })).key;
    const post = (path: string, key: string, body: string) =>
      fetch(`${base}/api/v1${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body,
      });

    // Setup (not measured): the campaign, so calls get its script, and the calls themselves.
    for (const scenario of SCENARIOS) {
      await expectStatus(
        await post('/campaigns', manageKey, JSON.stringify(scenario.campaign)),
        201,
        'create campaign',
      );
    }
    const callIds = Array.from({ length: CALLS }, (_, i) => `bench-call-${i + 1}`);
    await Promise.all(
      callIds.map(async (callId, i) =>
        expectStatus(
          await post(
            '/calls',
            ingestKey,
            JSON.stringify({ ...planCall(i + 1, callId, Date.now()).start, callId }),
          ),
          201,
          `start ${callId}`,
        ),
      ),
    );
    // Request bodies are serialised up front, so the client's JSON work is not measured.
    const requests = callIds.map((_, i) => {
      const events = plannedEvents(callIds[i]!, i + 1, eventsForCall(i));
      const bodies: Array<{ body: string; events: number }> = [];
      for (let at = 0; at < events.length; at += BATCH) {
        const batch = events.slice(at, at + BATCH);
        bodies.push({ body: JSON.stringify({ events: batch }), events: batch.length });
      }
      return bodies;
    });

    const result = await measureConcurrent(
      `HTTP ingest, ${target.label}, ${CALLS} calls, ${BATCH} events per request`,
      'events',
      CALLS,
      async (call, time) => {
        const callId = callIds[call]!;
        for (const request of requests[call]!) {
          await time(async () => {
            const response = await post(`/calls/${callId}/events`, ingestKey, request.body);
            const ack = JSON.parse(
              await expectStatus(response, 200, `events for ${callId}`),
            ) as EventBatchResponse;
            if (ack.accepted !== request.events || ack.duplicates !== 0)
              throw new Error(
                `events for ${callId}: sent ${request.events}, acknowledged ${JSON.stringify(ack)}`,
              );
            return ack.accepted;
          });
        }
      },
    );
    if (result.units !== TOTAL_EVENTS)
      throw new Error(`acknowledged ${result.units} events of ${TOTAL_EVENTS}`);
    // Every acknowledged event is in the event log (seq 0 is each call's start record).
    const [stored] = await earshot.store.database.db
      .select({ n: count() })
      .from(callEvents)
      .where(gt(callEvents.seq, 0));
    if (stored?.n !== TOTAL_EVENTS)
      throw new Error(`event log holds ${stored?.n} events, ${TOTAL_EVENTS} were acknowledged`);
    console.log(report(result));
  } finally {
    await earshot.close();
  }
}

/** Runs one target in a fresh Node process and waits for it; throws if it fails. */
async function inChildProcess(target: Target): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', THIS_FILE], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_INGEST_TARGET: JSON.stringify(target) },
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`ingest benchmark on ${target.label} exited with ${code}`);
}

export async function run(): Promise<void> {
  await inChildProcess({ label: 'PGlite (in memory)', flags: { 'data-dir': 'memory://' } });

  // What `npm start` uses: PGlite on a data directory (here a fresh one on the same disk).
  const dataDir = await mkdtemp(join(tmpdir(), 'earshot-bench-'));
  try {
    await inChildProcess({ label: 'PGlite (data directory)', flags: { 'data-dir': dataDir } });
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }

  if (!postgresAvailable) {
    console.log(`PostgreSQL skipped: no server at ${TEST_POSTGRES_URL}`);
    return;
  }
  const database = await createPostgresDatabase();
  try {
    await inChildProcess({ label: 'PostgreSQL 15', flags: { 'database-url': database.url } });
  } finally {
    await database.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = process.env.BENCH_INGEST_TARGET;
  if (target) await benchTarget(JSON.parse(target) as Target);
  else await run();
}
