// The embedded database's thread (see pglite-thread.ts): PGlite, answering the PostgreSQL wire
// protocol on a Unix socket that only this process can reach. The main thread talks to it
// with the same driver (node-postgres) it uses for a PostgreSQL server.
import { chmodSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import type { FromPgliteThread, PgliteThreadSettings, ToPgliteThread } from './pglite-thread.ts';

const port = parentPort!;
const settings = workerData as PgliteThreadSettings;
const post = (message: FromPgliteThread) => port.postMessage(message);

/** Message types after which the client waits for an answer: a batch ends there. */
const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const FLUSH = 0x48; // 'H'
const TERMINATE = 0x58; // 'X'

try {
  const db = settings.dataDir ? await PGlite.create(settings.dataDir) : await PGlite.create();
  // One backend serves every connection in turn; the main thread's pool holds one, so a
  // transaction is never interleaved with another client's statements.
  let queue: Promise<unknown> = Promise.resolve();
  const run = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  const serve = (socket: Socket) => {
    let buffered: Buffer = Buffer.alloc(0);
    let started = false;
    let batch: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      for (;;) {
        // The startup message has no type byte: a length, then the protocol version.
        const headerAt = started ? 1 : 0;
        if (buffered.length < headerAt + 4) break;
        const size = buffered.readInt32BE(headerAt) + headerAt;
        if (buffered.length < size) break;
        const message = buffered.subarray(0, size);
        buffered = buffered.subarray(size);
        if (!started) {
          started = true;
          void forward([message]);
          continue;
        }
        const type = message[0];
        // Ending the session would end the one backend; the connection just closes.
        if (type === TERMINATE) {
          socket.end();
          return;
        }
        batch.push(message);
        if (type === SYNC || type === QUERY || type === FLUSH) {
          const messages = batch;
          batch = [];
          void forward(messages);
        }
      }
    });
    const forward = (messages: Buffer[]) =>
      run(async () => {
        if (socket.destroyed) return;
        const answer = await db.execProtocolRaw(Buffer.concat(messages));
        if (answer.length > 0 && !socket.destroyed) socket.write(answer);
      }).catch(() => socket.destroy());
    socket.on('error', () => undefined);
    // A client that went away inside a transaction must not leave it open for the next one.
    socket.on('close', () => void run(() => db.exec('rollback')).catch(() => undefined));
  };

  const server = createServer(serve);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.socketPath, () => resolve());
  });
  chmodSync(settings.socketPath, 0o600);

  port.on('message', (message: ToPgliteThread) => {
    if (message.type !== 'close') return;
    server.close();
    void run(() => db.close()).finally(() => {
      post({ type: 'closed' });
      port.close();
    });
  });
  post({ type: 'ready' });
} catch (error) {
  post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
}
