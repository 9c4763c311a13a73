// The embedded database on a thread of its own. PGlite is PostgreSQL compiled to WASM: each
// statement runs synchronously on the thread that holds it, so on the main thread every
// commit of the write-behind stopped ingest, sessions and sends for as long as the statement
// took (decision 0025). Here it runs on a worker thread and answers the PostgreSQL wire
// protocol on a Unix socket in a private directory; the main thread reaches it through
// node-postgres, the driver it already uses for PostgreSQL, so both databases share one query
// path.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** What the worker is started with (plain data: it crosses the thread). */
export interface PgliteThreadSettings {
  /** Undefined: in memory. */
  dataDir: string | undefined;
  socketPath: string;
}

export type ToPgliteThread = { type: 'close' };
export type FromPgliteThread =
  { type: 'ready' } | { type: 'failed'; message: string } | { type: 'closed' };

const WORKER_URL = new URL('./pglite-thread-worker.js', import.meta.url);

/** node-postgres reaches a Unix socket as `<host directory>/.s.PGSQL.<port>`. */
const SOCKET_PORT = 5432;

/** Socket directories are named for their process: `earshot-db-<pid>-<random>`. */
const SOCKET_DIR = /^earshot-db-(\d+)-/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // someone else's process
  }
}

/**
 * Removes the socket directories of processes that are gone. A clean close removes its own;
 * a process killed with -9 cannot, and left one behind in the temporary directory per start.
 * Only this user's directories can be removed (mkdtemp makes them 0700); others are skipped.
 */
export function removeStaleSocketDirs(parent: string = tmpdir()): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(parent)) {
    const pid = SOCKET_DIR.exec(name)?.[1];
    if (pid === undefined || alive(Number(pid))) continue;
    try {
      rmSync(join(parent, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // not ours, or gone already
    }
  }
  return removed;
}

export interface PgliteThread {
  /** The thread itself (a test ends it to check that a crash is reported). */
  readonly worker: Worker;
  /** Connection settings for node-postgres. */
  readonly connection: { host: string; port: number; user: string; database: string };
  /**
   * Settles if the thread stops without being closed (a crash): every query fails from then
   * on, so `earshot serve` exits to be restarted, as when the engine thread dies.
   */
  readonly lost: Promise<Error>;
  /** Closes the database (after the pool is closed) and ends the thread. */
  close(): Promise<void>;
}

/**
 * Starts PGlite on a worker thread and resolves once it accepts connections.
 * @example
 * const thread = await startPgliteThread('./.earshot/data');
 * const pool = new pg.Pool({ ...thread.connection, max: 1 });
 */
export async function startPgliteThread(dataDir: string | undefined): Promise<PgliteThread> {
  removeStaleSocketDirs();
  // mkdtemp makes the directory readable by this user only: no other user reaches the socket.
  const socketDir = mkdtempSync(join(tmpdir(), `earshot-db-${process.pid}-`));
  const settings: PgliteThreadSettings = {
    dataDir,
    socketPath: join(socketDir, `.s.PGSQL.${SOCKET_PORT}`),
  };
  const worker = new Worker(WORKER_URL, { workerData: settings });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  // An uncaught error ends the thread; kept to name the cause when `lost` settles.
  let failure: Error | undefined;
  worker.on('error', (error) => (failure = error));
  const removeSocketDir = () => rmSync(socketDir, { recursive: true, force: true });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (message: FromPgliteThread) => {
        if (message.type === 'ready') resolve();
        if (message.type === 'failed')
          reject(new Error(`The embedded database did not open: ${message.message}`));
      });
      worker.once('error', reject);
      void exited.then((code) =>
        reject(new Error(`The embedded database thread exited (code ${code}) before it was ready`)),
      );
    });
  } catch (error) {
    await worker.terminate();
    removeSocketDir();
    throw error;
  }
  let closing = false;
  const lost = new Promise<Error>((resolve) => {
    void exited.then((code) => {
      if (closing) return;
      const cause = failure ? `: ${failure.message}` : '';
      resolve(new Error(`The embedded database thread exited (code ${code})${cause}`));
    });
  });
  return {
    worker,
    connection: { host: socketDir, port: SOCKET_PORT, user: 'postgres', database: 'postgres' },
    lost,
    async close() {
      closing = true;
      const closed = new Promise<void>((resolve) =>
        worker.on('message', (message: FromPgliteThread) => {
          if (message.type === 'closed') resolve();
        }),
      );
      worker.postMessage({ type: 'close' } satisfies ToPgliteThread);
      await Promise.race([closed, exited]);
      await worker.terminate();
      removeSocketDir();
    },
  };
}
