// Garbage-collection pauses of this process, from Node's `gc` performance entries. A young
// collection stops the thread for as long as it takes to copy what survived, so how often
// collections come and how long each holds the thread say how much of a latency tail they
// can explain: a frame that arrives during a pause waits for it.
import { constants, PerformanceObserver } from 'node:perf_hooks';

export interface GcPauses {
  young: number;
  youngMs: number;
  youngMaxMs: number;
  /** Full collections and incremental marking steps. */
  full: number;
  fullMs: number;
  fullMaxMs: number;
}

const none = (): GcPauses => ({
  young: 0,
  youngMs: 0,
  youngMaxMs: 0,
  full: 0,
  fullMs: 0,
  fullMaxMs: 0,
});

/** Counts pauses from now on; `reset` starts the count again (at a timed window's start). */
export function watchGcPauses(): { read(): GcPauses; reset(): void; stop(): void } {
  let pauses = none();
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        pauses.young += 1;
        pauses.youngMs += entry.duration;
        pauses.youngMaxMs = Math.max(pauses.youngMaxMs, entry.duration);
      } else {
        pauses.full += 1;
        pauses.fullMs += entry.duration;
        pauses.fullMaxMs = Math.max(pauses.fullMaxMs, entry.duration);
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    read: () => ({ ...pauses }),
    reset: () => {
      pauses = none();
    },
    stop: () => observer.disconnect(),
  };
}

/** One line: how many young collections, how far apart, how long, and their share of `windowMs`. */
export function describeGcPauses(pauses: GcPauses, windowMs: number): string {
  const young =
    pauses.young === 0
      ? 'no young collections'
      : `${pauses.young} young collections (every ${Math.round(windowMs / pauses.young)} ms),` +
        ` pause mean ${(pauses.youngMs / pauses.young).toFixed(1)} max ${pauses.youngMaxMs.toFixed(1)} ms,` +
        ` ${((pauses.youngMs / windowMs) * 100).toFixed(2)}% of the time`;
  const full =
    pauses.full === 0
      ? 'no full collections or marking steps'
      : `${pauses.full} full collections or marking steps (${pauses.fullMs.toFixed(0)} ms, longest ${pauses.fullMaxMs.toFixed(1)} ms)`;
  return `${young}; ${full}`;
}
