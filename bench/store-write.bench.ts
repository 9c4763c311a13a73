// Batched transcript writes through the store's multi-row path, on PGlite and PostgreSQL.
// Prints rows/s, per-batch latency percentiles, CPU and peak RSS for each batch size.
// Then the event log (call_events, one row per accepted event, the busiest table) written the
// way the write-behind writes it: commits of 50 calls × 5 events through MutationStore, with
// what each row costs the database: WAL bytes, stored bytes and, on PostgreSQL, the backend's
// CPU (read from /proc).
import { readFileSync } from 'node:fs';
import type { Mutation } from '../packages/engine/src/index.ts';
import { sql } from 'drizzle-orm';
import { openStore, type Store } from '../packages/server/src/store/index.ts';
import { MutationStore } from '../packages/server/src/store/mutation-store.ts';
import { selectRows } from '../packages/server/src/store/rows.ts';
import {
  createPostgresDatabase,
  postgresAvailable,
  TEST_POSTGRES_URL,
} from '../packages/server/test/support/databases.ts';
import { liveCallFields, transcriptFields } from '../packages/server/test/support/fixtures.ts';
import { measure, report } from './support/measure.ts';

const TOTAL_ROWS = Number(process.env.BENCH_ROWS ?? 50_000);
const BATCH_SIZES = [100, 1_000];

async function benchStore(label: string, store: Store): Promise<void> {
  for (const batchSize of BATCH_SIZES) {
    const call = await store.calls.create(liveCallFields());
    const batches = Math.ceil(TOTAL_ROWS / batchSize);
    const result = await measure(
      `transcript insert, ${label}, ${batchSize} rows per batch`,
      'rows',
      batches,
      batchSize,
      async (batch) => {
        const rows = Array.from({ length: batchSize }, (_, i) =>
          transcriptFields(call._id, batch * batchSize + i),
        );
        await store.calls.insertDetails('liveTranscripts', rows);
      },
    );
    console.log(report(result));
  }
}

/** CPU ticks (1/100 s) used so far by the database's backend processes. */
async function backendTicks(store: Store): Promise<number> {
  const backends = await selectRows<{ pid: number }>(
    store.database.db,
    sql`select pid from pg_stat_activity where datname = current_database()`,
  );
  let ticks = 0;
  for (const { pid } of backends) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime + stime
    } catch {
      // a backend that has exited since
    }
  }
  return ticks;
}

async function benchEventLog(label: string, store: Store, backendCpu: boolean): Promise<void> {
  const CALLS = 50;
  const PER_CALL = 5;
  const COMMITS = Math.ceil(TOTAL_ROWS / (CALLS * PER_CALL));
  const writer = new MutationStore(store.database);
  const calls: Array<{ _id: string }> = [];
  for (let i = 0; i < CALLS; i++) calls.push(await store.calls.create(liveCallFields()));
  const read = async <T>(query: ReturnType<typeof sql>) =>
    (await selectRows<T>(store.database.db, query))[0]!;
  const { lsn } = await read<{ lsn: string }>(sql`select pg_current_wal_lsn() as lsn`);
  const ticks = backendCpu ? await backendTicks(store) : 0;
  let seq = 1;
  const result = await measure(
    `event log, ${label}, ${CALLS} calls × ${PER_CALL} events per commit`,
    'rows',
    COMMITS,
    CALLS * PER_CALL,
    async () => {
      const mutations: Mutation[] = [];
      for (const call of calls) {
        for (let k = 0; k < PER_CALL; k++) {
          mutations.push({
            table: 'callEvents',
            doc: {
              liveCallId: call._id,
              seq: seq + k,
              type: 'audio',
              hash: 'x'.repeat(22),
              receivedAt: Date.now(),
            },
          });
        }
      }
      seq += PER_CALL;
      await writer.commit(mutations);
    },
  );
  const rows = result.units;
  const { wal } = await read<{ wal: string }>(
    sql`select pg_wal_lsn_diff(pg_current_wal_lsn(), ${lsn}::pg_lsn) as wal`,
  );
  const { size } = await read<{ size: string }>(
    sql`select pg_total_relation_size('call_events') as size`,
  );
  const cpu = backendCpu
    ? `  backend cpu ${((((await backendTicks(store)) - ticks) * 10_000) / rows).toFixed(1)} µs/row,`
    : '';
  console.log(report(result));
  console.log(
    `  per row:${cpu} WAL ${Math.round(Number(wal) / rows)} B, table and indexes ${Math.round(Number(size) / rows)} B`,
  );
}

export async function run(): Promise<void> {
  const pglite = await openStore({ kind: 'pglite', dataDir: undefined });
  await benchStore('PGlite (in memory)', pglite);
  await benchEventLog('PGlite (in memory)', pglite, false);
  await pglite.close();

  if (!postgresAvailable) {
    console.log(`PostgreSQL skipped: no server at ${TEST_POSTGRES_URL}`);
    return;
  }
  const database = await createPostgresDatabase();
  const postgres = await openStore({ kind: 'postgres', url: database.url });
  await benchStore('PostgreSQL 15', postgres);
  await benchEventLog('PostgreSQL 15', postgres, true);
  await postgres.close();
  await database.drop();
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
