// What every benchmark prints: latency percentiles, throughput, CPU and memory.
import { performance } from 'node:perf_hooks';

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

export interface Measurement {
  name: string;
  /** Units of work done (rows, events). */
  units: number;
  unitName: string;
  /** Latency of each operation, in milliseconds. */
  latencies: number[];
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
}

/** Starts counting wall and CPU time and sampling RSS every 50 ms, until `stop()`. */
function resourceSampler() {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  return {
    stop(): { wallMs: number; cpuMs: number; peakRssMb: number } {
      const wallMs = performance.now() - start;
      const cpu = process.cpuUsage(cpuBefore);
      clearInterval(sampler);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, peakRssMb: peakRss / 1024 / 1024 };
    },
  };
}

/**
 * Times `operations` calls of `run`, each doing `unitsPerOperation` units of work.
 * Samples RSS every 50 ms to report the peak.
 */
export async function measure(
  name: string,
  unitName: string,
  operations: number,
  unitsPerOperation: number,
  run: (index: number) => Promise<void>,
): Promise<Measurement> {
  const latencies: number[] = [];
  const resources = resourceSampler();
  for (let index = 0; index < operations; index++) {
    const t0 = performance.now();
    await run(index);
    latencies.push(performance.now() - t0);
  }
  return { name, units: operations * unitsPerOperation, unitName, latencies, ...resources.stop() };
}

/** Times one operation inside `measureConcurrent`; the operation resolves to the units it did. */
export type TimeOperation = (operation: () => Promise<number>) => Promise<number>;

/**
 * Runs `workers` loops at once (`run(worker, time)` for each) and measures them together:
 * every operation a loop wraps in `time` contributes its latency and the units it resolves
 * to (e.g. events acknowledged). Wall time runs from the first loop starting to the last one
 * finishing. CPU and RSS are the whole process's, as in `measure`.
 */
export async function measureConcurrent(
  name: string,
  unitName: string,
  workers: number,
  run: (worker: number, time: TimeOperation) => Promise<void>,
): Promise<Measurement> {
  const latencies: number[] = [];
  let units = 0;
  const time: TimeOperation = async (operation) => {
    const t0 = performance.now();
    const done = await operation();
    latencies.push(performance.now() - t0);
    units += done;
    return done;
  };
  const resources = resourceSampler();
  try {
    await Promise.all(Array.from({ length: workers }, (_, worker) => run(worker, time)));
  } catch (error) {
    resources.stop(); // or its interval keeps the process alive
    throw error;
  }
  return { name, units, unitName, latencies, ...resources.stop() };
}

export function report(m: Measurement): string {
  const sorted = [...m.latencies].sort((a, b) => a - b);
  const fmt = (n: number) => n.toFixed(2);
  return [
    `${m.name}`,
    `  ${m.unitName}/s ${Math.round((m.units / m.wallMs) * 1000).toLocaleString('en')}` +
      `  (${m.units.toLocaleString('en')} ${m.unitName} in ${fmt(m.wallMs / 1000)} s)`,
    `  latency per operation ms: p50 ${fmt(percentile(sorted, 50))}  p95 ${fmt(percentile(sorted, 95))}  p99 ${fmt(percentile(sorted, 99))}`,
    `  cpu ${fmt(m.cpuMs / 1000)} s (${Math.round((m.cpuMs / m.wallMs) * 100)}% of one core)  peak rss ${Math.round(m.peakRssMb)} MB`,
  ].join('\n');
}
