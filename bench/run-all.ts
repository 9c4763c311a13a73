// `npm run bench`: runs every benchmark in turn. Results are recorded in docs/benchmarks.md.
import { run as consoleFrames } from './console-frames.bench.ts';
import { run as engine } from './engine.bench.ts';
import { run as ingest } from './ingest.bench.ts';
import { run as pipeline } from './pipeline.bench.ts';
import { run as realtime } from './realtime-latency.bench.ts';
import { run as redaction } from './redaction.bench.ts';
import { run as restart } from './restart.bench.ts';
import { run as storeWrite } from './store-write.bench.ts';

const benches: Array<[string, () => Promise<void>]> = [
  ['store-write', storeWrite],
  ['ingest', ingest],
  ['engine', engine],
  ['pipeline', pipeline],
  ['redaction', redaction],
  ['restart', restart],
  ['realtime', realtime],
  ['console-frames', consoleFrames],
];
const only = process.argv[2];
for (const [name, run] of benches) {
  if (only && only !== name) continue;
  console.log(`\n== ${name} ==`);
  await run();
}
