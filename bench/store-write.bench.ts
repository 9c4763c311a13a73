// Batched transcript writes through the store's multi-row path, on PGlite and PostgreSQL.
// Prints rows/s, per-batch latency percentiles, CPU and peak RSS for each batch size.
import { openStore, type Store } from '../packages/server/src/store/index.ts';
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

export async function run(): Promise<void> {
  const pglite = await openStore({ kind: 'pglite', dataDir: undefined });
  await benchStore('PGlite (in memory)', pglite);
  await pglite.close();

  if (!postgresAvailable) {
    console.log(`PostgreSQL skipped: no server at ${TEST_POSTGRES_URL}`);
    return;
  }
  const database = await createPostgresDatabase();
  const postgres = await openStore({ kind: 'postgres', url: database.url });
  await benchStore('PostgreSQL 15', postgres);
  await postgres.close();
  await database.drop();
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
