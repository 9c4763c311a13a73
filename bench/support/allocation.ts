// How many bytes a piece of work allocates on the JavaScript heap, garbage included: what sets
// how often the young generation is collected, and so how often a server pauses.
import { Session } from 'node:inspector/promises';

/**
 * Runs `work` under V8's sampling heap profiler, counting objects already collected too, and
 * returns the bytes it allocated: an unbiased estimate (each sample stands for about
 * `samplingInterval` bytes), within a few percent once the total is many megabytes.
 */
export async function allocatedBytes(
  work: () => Promise<void>,
  samplingInterval = 1024,
): Promise<number> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.startSampling', {
      samplingInterval,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    await work();
    const { profile } = await session.post('HeapProfiler.stopSampling');
    let bytes = 0;
    const stack = [profile.head];
    while (stack.length > 0) {
      const node = stack.pop()!;
      bytes += node.selfSize;
      stack.push(...node.children);
    }
    return bytes;
  } finally {
    session.disconnect();
  }
}
