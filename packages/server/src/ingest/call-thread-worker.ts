// The call thread (see call-thread.ts): the CallService, its write-behind and a database pool
// of its own, answering the main thread's calls and sending every update back in order.
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { CallUpdate, RealtimeBus } from '../realtime/bus.ts';
import { openStore, toEarshotError } from '../store/index.ts';
import { openCallService } from './call-service.ts';
import {
  REMOTE_METHODS,
  serializeError,
  type CallThreadSettings,
  type CallThreadStatus,
  type FromCallThread,
  type ToCallThread,
} from './call-thread.ts';

const port = parentPort!;
const settings = workerData as CallThreadSettings;
// Messages go out in batches, in order: posting a message costs both threads more than
// handling it, and an event means an update and a reply. A batch is what one task produced
// (flushed as a microtask): waiting for the end of the event-loop turn instead (setImmediate)
// measured a p99 five times longer at 100 calls.
let outbox: FromCallThread[] = [];
const flush = () => {
  const batch = outbox;
  outbox = [];
  if (batch.length > 0) port.postMessage(batch);
};
const post = (message: FromCallThread) => {
  if (outbox.push(message) === 1) queueMicrotask(flush);
};

// Log lines go to the main thread's logger, so there is one log stream.
const logger = pino(
  { level: settings.logLevel },
  { write: (line: string) => post({ type: 'log', line }) },
);

try {
  const store = await openStore(settings.target);
  const status = (): CallThreadStatus => ({
    writeBacklog: writer.backlog,
    writable: writer.available,
    stats: calls.stats,
  });
  const bus: RealtimeBus = {
    // Serialised here, off the main thread, for the hub to frame as it is.
    publish: (update: CallUpdate) =>
      post({
        type: 'update',
        update: { ...update, json: update.changes.map((change) => JSON.stringify(change)) },
        status: status(),
      }),
    subscribe: () => () => undefined,
  };
  const { calls, writer } = await openCallService({
    store,
    bus,
    logger,
    flushIntervalMs: settings.flushIntervalMs,
    platformConfigured: settings.platformConfigured,
    // The main thread builds its replicas from the snapshots sent when the worker is ready, so
    // the worker reads every call back before it is.
    endedInBackground: false,
  });
  writer.start();
  const methods = new Set<string>(REMOTE_METHODS);

  port.on('message', (batch: ToCallThread[]) => {
    for (const message of batch) handle(message);
  });
  function handle(message: ToCallThread): void {
    if (message.type === 'stop') {
      void (async () => {
        await writer.drain();
        await writer.stop();
        await store.close();
        post({ type: 'stopped' });
        flush();
        port.close();
      })();
      return;
    }
    const { id, method, args } = message;
    if (!methods.has(method)) return;
    const run = (calls[method] as (...a: unknown[]) => Promise<unknown>).bind(calls);
    run(...args).then(
      (value) => post({ type: 'reply', id, value, status: status() }),
      (error: unknown) => {
        const problem = toEarshotError(error);
        if (problem.kind === 'internal') logger.error({ err: error, method }, 'call thread error');
        post({ type: 'reply', id, error: serializeError(problem), status: status() });
      },
    );
  }
  post({
    type: 'ready',
    snapshots: calls.liveCalls().map((call) => calls.snapshot(call.callId)!),
    status: status(),
  });
} catch (error) {
  // The main thread rejects its open() with this and ends the worker.
  post({ type: 'failed', error: serializeError(toEarshotError(error)) });
  flush();
}
