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
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  for (let index = 0; index < operations; index++) {
    const t0 = performance.now();
    await run(index);
    latencies.push(performance.now() - t0);
  }
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return {
    name,
    units: operations * unitsPerOperation,
    unitName,
    latencies,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMb: peakRss / 1024 / 1024,
  };
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
