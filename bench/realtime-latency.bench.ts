// Realtime latency: ingest → subscriber, measured at the subscriber socket. C calls stream 10
// events/s each over the streaming ingest socket (one per call, one event per frame, paced by
// a timer); every call has 2 realtime subscribers (2 sockets) and 20 sockets follow the
// wallboard. Run on PGlite and on PostgreSQL, and against a bare `ws` relay at the same load
// as the floor (bench/support/ws-relay.ts). Three processes per run: the server (or relay),
// the load generator (bench/support/realtime-load.ts) and this one, which starts both, tells
// the server when the measured window opens and closes, and prints the results.
//   BENCH_REALTIME_STEPS (100,500,1000)  concurrent calls per step
//   BENCH_REALTIME_TARGETS (relay,pglite,postgres,postgres-thread); also relay+<µs>, the relay
//     spending that much CPU on each frame (how latency grows with a server's CPU here)
//   BENCH_REALTIME_RATE (10)  events/s per call     BENCH_REALTIME_SUBSCRIBERS (2)  per call
//   BENCH_REALTIME_WALLBOARDS (20)   BENCH_REALTIME_WARMUP_S (5)   BENCH_REALTIME_SECONDS (20)
//   BENCH_REALTIME_DRAIN_S (15)  longest wait for acks and finals after the window
//   BENCH_REALTIME_PROFILE_DIR  write a V8 CPU profile of the server over each window there
//   BENCH_REALTIME_ALLOCATIONS=1  with PROFILE_DIR, also sample the server's allocations there
//     (=survivors: only what outlived a young collection, i.e. what the collections copied)
//   BENCH_REALTIME_SERVER_FLAGS  more Node flags for the server (e.g. --trace-gc)
//   BENCH_REALTIME_LOCKSTEP=1  every call replays the script from its first event, in step
//     (by default each call starts at its own point in the script's first minute)
//   BENCH_REALTIME_LOAD_NICE  a diagnostic: the load generator's nice value (e.g. 10), so the
//     server wins a core whenever both want one, as if the load came from another machine
//   BENCH_REALTIME_PIN=1  a diagnostic: the server (every thread) on CPU 0, the load generator
//     and PostgreSQL's processes on CPU 1, over the window, so the server has a core of its own
//   BENCH_REALTIME_REPEAT (1)  runs of each target at each step, the targets taking turns; with
//     more than one, a summary gives each one's spread (the tail moves a lot between runs here)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, setPriority } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { WebSocket } from 'ws';
import { loadConfig } from '../packages/server/src/config.ts';
import { createEarshot } from '../packages/server/src/server.ts';
import { SALES_CAMPAIGN } from '../packages/server/test/support/scripted-call.ts';
import type * as DatabasesModule from '../packages/server/test/support/databases.ts';
import { summariseProfile } from './support/cpu-profile.ts';
import { describeGcPauses, watchGcPauses, type GcPauses } from './support/gc-pauses.ts';
import { percentile } from './support/measure.ts';
import { cpuBetween, readCpu, type CpuCounters } from './support/proc-cpu.ts';
import { runLoad, type LoadOptions, type LoadResult } from './support/realtime-load.ts';
import { startRelay } from './support/ws-relay.ts';

const THIS_FILE = fileURLToPath(import.meta.url);
const env = (name: string, fallback: string) => process.env[`BENCH_REALTIME_${name}`] ?? fallback;
const STEPS = env('STEPS', '100,500,1000').split(',').map(Number);
const TARGETS = env('TARGETS', 'relay,pglite,postgres,postgres-thread').split(',');
const RATE = Number(env('RATE', '10'));
const SUBSCRIBERS = Number(env('SUBSCRIBERS', '2'));
const WALLBOARDS = Number(env('WALLBOARDS', '20'));
const WARMUP_MS = Number(env('WARMUP_S', '5')) * 1000;
const MEASURE_MS = Number(env('SECONDS', '20')) * 1000;
const DRAIN_MS = Number(env('DRAIN_S', '15')) * 1000;
const PROFILE_DIR = process.env.BENCH_REALTIME_PROFILE_DIR;
const LOCKSTEP = env('LOCKSTEP', '0') === '1';
/**
 * With PROFILE_DIR: also sample what the server allocates (a .heapprofile beside each CPU
 * profile); `survivors` leaves out what died young, so the profile shows what set the pauses.
 */
const ALLOCATIONS = env('ALLOCATIONS', '0');
const LOAD_NICE = process.env.BENCH_REALTIME_LOAD_NICE;
const REPEAT = Math.max(1, Number(env('REPEAT', '1')));
const PIN = env('PIN', '0') === '1';

/**
 * BENCH_REALTIME_PIN: every thread of each process on one CPU (util-linux's taskset). It runs
 * as the window opens, when the run's PostgreSQL backends exist.
 */
function pin(pids: Iterable<number | string>, cpu: number, mustExist: boolean): void {
  for (const pid of pids) {
    const result = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)]);
    if (result.error) throw new Error(`BENCH_REALTIME_PIN needs taskset: ${result.error.message}`);
    // A PostgreSQL process may have exited since it was listed; the children may not have.
    if (result.status !== 0 && mustExist)
      throw new Error(`taskset could not pin ${pid}: ${result.stderr.toString().trim()}`);
  }
}

/** What the server (or relay) child runs. */
interface ServerSpec {
  role: 'server';
  kind: 'earshot' | 'relay';
  label: string;
  flags: Record<string, string>;
  /** Where to write a CPU profile of the window, if anywhere. */
  profile?: string;
  /** Relay only: CPU to spend per ingest frame (target `relay+<µs>`). */
  relayWorkMicros?: number;
}
interface LoadSpec {
  role: 'load';
  options: Omit<LoadOptions, 'onWindow'>;
}

interface Summary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}
function summarise(values: number[]): Summary {
  const sorted = Float64Array.from(values).sort();
  const p = (q: number) => percentile(sorted as unknown as number[], q);
  return { count: sorted.length, p50: p(50), p95: p(95), p99: p(99), max: sorted.at(-1) ?? NaN };
}

/** What the server child reports for the window: its own process only. */
interface ServerStats {
  wallMs: number;
  cpuMs: number;
  /** Of cpuMs, the time in the kernel (socket reads and writes, mostly). */
  systemMs: number;
  peakRssMb: number;
  loopDelayP99: number;
  loopDelayMax: number;
  /** Earshot: call updates published on the bus; relay: ingest frames received. */
  updates: number;
  /** Earshot: most mutations waiting for the write-behind at once. */
  maxBacklog: number;
  sessions: number;
  /** The machine's 1-minute load average when the window ended. */
  loadAverage: number;
  /** The main thread's garbage-collection pauses over the window. */
  gc: GcPauses;
}

type LoadReport = Omit<LoadResult, 'latencies' | 'ackLatencies' | 'sendLag'> & {
  latency: Summary;
  ack: Summary;
  lag: Summary;
};

interface Row {
  label: string;
  calls: number;
  load: LoadReport;
  server: ServerStats;
  /** PostgreSQL's backends (% of one core) and the whole machine (% of all cores) over the window. */
  postgresPct: number | undefined;
  machinePct: number | undefined;
  /** Realtime and ingest sockets closed, by code, as the server saw it (up to the drain's end). */
  serverCloses: Record<string, number>;
  /** The server's longest event-loop stall during the drain. */
  drainLoopDelayMax: number;
  /** How long the server took to answer this process at the window's start and end and after the drain. */
  handoffMs: { start: number; end: number; drained: number };
}

// ---------------------------------------------------------------------------------------------
// Children

type Message = { type: string; [key: string]: unknown };
const send = (message: Message) => process.send!(message);

/** Measures this process over a window: CPU, peak RSS, event-loop delay, optionally a profile. */
function windowMeter(extra: () => { updates: number; backlog: number; sessions: number }) {
  let cpu0 = process.cpuUsage();
  let t0 = 0;
  let peakRss = 0;
  let maxBacklog = 0;
  let updates0 = 0;
  // The histogram holds each timer's whole interval: the delay is what exceeds the resolution.
  const resolution = 10;
  const delay = monitorEventLoopDelay({ resolution });
  const collections = watchGcPauses();
  let sampler: NodeJS.Timeout | undefined;
  let profiler: Session | undefined;
  return {
    async start(profile: boolean) {
      if (profile) {
        profiler = new Session();
        profiler.connect();
        await profiler.post('Profiler.enable');
        await profiler.post('Profiler.start');
        if (ALLOCATIONS !== '0') {
          const everything = ALLOCATIONS !== 'survivors';
          await profiler.post('HeapProfiler.enable');
          await profiler.post('HeapProfiler.startSampling', {
            samplingInterval: 16 * 1024,
            includeObjectsCollectedByMajorGC: everything,
            includeObjectsCollectedByMinorGC: everything,
          });
        }
      }
      delay.reset();
      delay.enable();
      collections.reset();
      updates0 = extra().updates;
      peakRss = process.memoryUsage.rss();
      maxBacklog = 0;
      sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage.rss());
        maxBacklog = Math.max(maxBacklog, extra().backlog);
      }, 250);
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    },
    async stop(profilePath: string | undefined): Promise<ServerStats> {
      const cpu = process.cpuUsage(cpu0);
      const wallMs = performance.now() - t0;
      clearInterval(sampler);
      delay.disable();
      const gc = collections.read();
      const now = extra();
      if (profiler) {
        const { profile } = await profiler.post('Profiler.stop');
        if (ALLOCATIONS !== '0' && profilePath) {
          const heap = await profiler.post('HeapProfiler.stopSampling');
          await writeFile(
            profilePath.replace(/\.cpuprofile$/, '.heapprofile'),
            JSON.stringify(heap.profile),
          );
        }
        profiler.disconnect();
        if (profilePath) await writeFile(profilePath, JSON.stringify(profile));
      }
      return {
        wallMs,
        cpuMs: (cpu.user + cpu.system) / 1000,
        systemMs: cpu.system / 1000,
        peakRssMb: Math.max(peakRss, process.memoryUsage.rss()) / 1024 / 1024,
        loopDelayP99: Math.max(0, delay.percentile(99) / 1e6 - resolution),
        loopDelayMax: Math.max(0, delay.max / 1e6 - resolution),
        updates: now.updates - updates0,
        maxBacklog,
        sessions: now.sessions,
        loadAverage: loadavg()[0]!,
        gc,
      };
    },
  };
}

/** The server child: Earshot on one database (or the relay), driven over IPC. */
async function serverChild(spec: ServerSpec): Promise<void> {
  let close: () => Promise<void>;
  let extra: () => { updates: number; backlog: number; sessions: number };
  let ready: Message;
  const serverCloses: Record<string, number> = {};
  if (spec.kind === 'relay') {
    const relay = await startRelay({ workMicros: spec.relayWorkMicros ?? 0 });
    close = () => relay.close();
    extra = () => ({
      updates: relay.stats().framesIn,
      backlog: 0,
      sessions: relay.stats().sockets,
    });
    ready = { type: 'ready', base: relay.base, ingestKey: 'relay', monitorKey: 'relay' };
  } else {
    const config = loadConfig({ port: '0', 'log-level': 'silent', ...spec.flags }, {});
    const earshot = await createEarshot(config, pino({ level: 'silent' }));
    close = () => earshot.close();
    const base = await earshot.listen();
    const key = async (scope: 'ingest' | 'monitor' | 'manage') =>
      (await earshot.keys.create({ name: `bench-${scope}`, scopes: [scope] })).key;
    const manageKey = await key('manage');
    const campaign = await fetch(`${base}/api/v1/campaigns`, {
      method: 'POST',
      headers: { authorization: `Bearer ${manageKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(SALES_CAMPAIGN),
    });
    if (campaign.status !== 201) throw new Error(`create campaign: ${await campaign.text()}`);
    let updates = 0;
    earshot.bus.subscribe(() => updates++);
    // Who ended a socket, seen from the server: its calls to close(code) and terminate() (the
    // heartbeat's, or the one that follows a close the peer never answers). Observed only.
    const count = (key: string) => (serverCloses[key] = (serverCloses[key] ?? 0) + 1);
    earshot.app.websocketServer.on('connection', (socket: WebSocket) => {
      count('connections');
      const close = socket.close.bind(socket);
      const terminate = socket.terminate.bind(socket);
      socket.close = (code?: number, reason?: string | Buffer) => {
        count(`close(${code})`);
        close(code, reason);
      };
      socket.terminate = () => {
        count('terminate()');
        terminate();
      };
    });
    extra = () => ({
      updates,
      backlog: earshot.calls.writeBacklog,
      sessions: earshot.hub.sessionCount,
    });
    ready = {
      type: 'ready',
      base,
      ingestKey: await key('ingest'),
      monitorKey: await key('monitor'),
    };
  }
  const meter = windowMeter(extra);
  const drainDelay = monitorEventLoopDelay({ resolution: 10 });
  process.on('message', (message: Message) => {
    void (async () => {
      if (message.type === 'start') {
        await meter.start(spec.profile !== undefined);
        send({ type: 'started' });
      } else if (message.type === 'end') {
        send({ type: 'stats', stats: await meter.stop(spec.profile) });
        drainDelay.enable();
      } else if (message.type === 'closes') {
        drainDelay.disable();
        const drainLoopDelayMax = Math.max(0, drainDelay.max / 1e6 - 10);
        send({ type: 'closes', closes: { ...serverCloses }, drainLoopDelayMax });
      } else if (message.type === 'stop') {
        await close();
        process.exit(0);
      }
    })();
  });
  send(ready);
}

/** The load-generator child. */
async function loadChild(spec: LoadSpec): Promise<void> {
  const waiting = new Map<string, () => void>();
  process.on('message', (message: Message) => waiting.get(message.type)?.());
  const result = await runLoad({
    ...spec.options,
    onWindow: (edge) =>
      new Promise<void>((resolve) => {
        waiting.set(`window-${edge}-ok`, resolve);
        send({ type: 'window', edge });
      }),
  });
  const { latencies, ackLatencies, sendLag, ...rest } = result;
  const report: LoadReport = {
    ...rest,
    latency: summarise(latencies),
    ack: summarise(ackLatencies),
    lag: summarise(sendLag),
  };
  send({ type: 'result', report });
  process.disconnect();
}

// ---------------------------------------------------------------------------------------------
// The parent

/**
 * The server runs with the heap settings `npm start` uses (docs/operations.md, decisions 0018
 * and 0035), plus any flags in BENCH_REALTIME_SERVER_FLAGS (e.g. --trace-gc).
 */
const SERVER_NODE_FLAGS = [
  '--max-semi-space-size=64',
  '--heap-growing-percent=300',
  ...(process.env.BENCH_REALTIME_SERVER_FLAGS ?? '').split(' ').filter(Boolean),
];

function startChild(spec: ServerSpec | LoadSpec): ChildProcess {
  const flags = spec.role === 'server' ? SERVER_NODE_FLAGS : [];
  return spawn(process.execPath, [...flags, '--import', 'tsx', THIS_FILE], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, BENCH_REALTIME_CHILD: JSON.stringify(spec) },
  });
}

function nextMessage<T extends Message>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Message) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as T);
    };
    const onExit = (code: number | null) =>
      reject(new Error(`child exited with ${code} while waiting for "${type}"`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', resolve);
  });

async function runOne(server: ServerSpec, calls: number): Promise<Row> {
  const serverChild = startChild(server);
  try {
    const ready = await nextMessage<Message & Record<'base' | 'ingestKey' | 'monitorKey', string>>(
      serverChild,
      'ready',
    );
    const load = startChild({
      role: 'load',
      options: {
        mode: server.kind,
        base: ready.base,
        ingestKey: ready.ingestKey,
        monitorKey: ready.monitorKey,
        calls,
        subscribersPerCall: SUBSCRIBERS,
        wallboards: WALLBOARDS,
        rate: RATE,
        start: LOCKSTEP ? 'lockstep' : 'staggered',
        warmupMs: WARMUP_MS,
        measureMs: MEASURE_MS,
        drainTimeoutMs: DRAIN_MS,
      },
    });
    if (LOAD_NICE !== undefined && load.pid !== undefined) setPriority(load.pid, Number(LOAD_NICE));
    let stats: ServerStats | undefined;
    let cpu: ReturnType<typeof cpuBetween>;
    let cpuBefore: CpuCounters | undefined;
    let windowStart = 0;
    let serverCloses: Record<string, number> = {};
    let drainLoopDelayMax = NaN;
    const handoffMs = { start: NaN, end: NaN, drained: NaN };
    load.on('message', (message: Message) => {
      if (message.type !== 'window') return;
      void (async () => {
        const asked = performance.now();
        if (message.edge === 'start') {
          if (PIN) {
            pin([serverChild.pid!], 0, true);
            pin([load.pid!], 1, true);
            pin(readCpu('postgres')?.commandMs.keys() ?? [], 1, false);
          }
          const started = nextMessage(serverChild, 'started');
          serverChild.send({ type: 'start' });
          await started;
          handoffMs.start = performance.now() - asked;
          cpuBefore = readCpu('postgres');
          windowStart = performance.now();
        } else if (message.edge === 'drained') {
          // Before the load generator cuts its sockets: every close so far was the server's.
          const reply = nextMessage<
            Message & { closes: Record<string, number>; drainLoopDelayMax: number }
          >(serverChild, 'closes');
          serverChild.send({ type: 'closes' });
          ({ closes: serverCloses, drainLoopDelayMax } = await reply);
          handoffMs.drained = performance.now() - asked;
        } else {
          cpu = cpuBetween(cpuBefore, readCpu('postgres'), performance.now() - windowStart);
          const reply = nextMessage<Message & { stats: ServerStats }>(serverChild, 'stats');
          serverChild.send({ type: 'end' });
          stats = (await reply).stats;
          handoffMs.end = performance.now() - asked;
        }
        load.send({ type: `window-${String(message.edge)}-ok` });
      })();
    });
    const { report } = await nextMessage<Message & { report: LoadReport }>(load, 'result');
    const code = await exited(load);
    if (code !== 0) throw new Error(`load generator exited with ${code}`);
    if (!stats) throw new Error('no server statistics');
    return {
      label: server.label,
      calls,
      load: report,
      server: stats,
      postgresPct: server.flags['database-url'] ? cpu?.commandPct : undefined,
      machinePct: cpu?.machinePct,
      serverCloses,
      drainLoopDelayMax,
      handoffMs,
    };
  } finally {
    if (serverChild.connected) serverChild.send({ type: 'stop' });
    const timer = setTimeout(() => serverChild.kill('SIGKILL'), 20_000);
    await exited(serverChild);
    clearTimeout(timer);
  }
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const int = (n: number) => Math.round(n).toLocaleString('en');

function describe(row: Row): string {
  const { load, server } = row;
  const seconds = load.windowMs / 1000;
  const l = load.latency;
  const closes = Object.entries(load.closes)
    .map(([code, n]) => `${n}× ${code}`)
    .join(', ');
  return [
    `realtime, ${row.label}, ${row.calls} calls × ${RATE} events/s, ${SUBSCRIBERS} subscribers per call + ${WALLBOARDS} wallboards, ${LOCKSTEP ? 'calls in lockstep' : 'staggered calls'}${LOAD_NICE !== undefined ? `, load generator at nice ${LOAD_NICE}` : ''}${PIN ? ', server pinned to CPU 0, the rest to CPU 1' : ''}`,
    `  latency ms (send → subscriber socket, ${int(l.count)} samples of ${int(load.latenciesExpected)} sent × subscribers): p50 ${fmt(l.p50)}  p95 ${fmt(l.p95)}  p99 ${fmt(l.p99)}  max ${fmt(l.max)}`,
    `  events/s in ${int(load.eventsAccepted / seconds)} accepted (${int(load.eventsSent / seconds)} offered)` +
      `  messages/s out ${int((load.callFrames + load.wallboardFrames) / seconds)}` +
      ` (call ${int(load.callFrames / seconds)}, wallboard ${int(load.wallboardFrames / seconds)}, ${fmt(load.bytesOut / seconds / 1024 / 1024)} MB/s, of which wallboard ${fmt(load.wallboardBytes / seconds / 1024 / 1024)} MB/s)`,
    `  server: cpu ${Math.round((server.cpuMs / server.wallMs) * 100)}% of one core` +
      ` (${Math.round((server.systemMs / server.wallMs) * 100)}% in the kernel), peak rss ${Math.round(server.peakRssMb)} MB,` +
      ` event-loop delay p99 ${fmt(server.loopDelayP99)} ms max ${fmt(server.loopDelayMax)} ms,` +
      ` ${int(server.updates / seconds)} updates/s, write backlog max ${int(server.maxBacklog)}, ${server.sessions} sockets;` +
      ` machine load average ${fmt(server.loadAverage, 2)}`,
    `  server garbage collection: ${describeGcPauses(server.gc, server.wallMs)}`,
    `  ack ms p50 ${fmt(load.ack.p50)} p99 ${fmt(load.ack.p99)} max ${fmt(load.ack.max)};` +
      ` unacknowledged frames at window end ${int(load.unackedAtWindowEnd)}, after drain ${int(load.unackedAtEnd)} (${fmt(load.drainMs / 1000)} s); ingest errors ${load.ingestErrors}${load.firstIngestError ? ` (first: ${load.firstIngestError})` : ''}`,
    `  final transcripts: ${int(load.finalsExpected)} sent × subscribers, lost ${load.finalsLostAcked} of those acknowledged` +
      ` (${load.finalsLost} including never processed), reordered ${load.finalsReordered};` +
      ` version gaps ${load.versionGaps}`,
    `  drain: event-loop delay max ${fmt(row.drainLoopDelayMax)} ms; longest gap between pings at a call subscriber ${fmt(load.maxPingGapMs / 1000)} s;` +
      ` server answered IPC in ${fmt(row.handoffMs.start, 0)} / ${fmt(row.handoffMs.end, 0)} / ${fmt(row.handoffMs.drained, 0)} ms (window start / end / drained)`,
    `  sockets closed by the server: ${closes || 'none'}` +
      (Object.keys(row.serverCloses).length > 0
        ? ` (server side, by code: ${JSON.stringify(row.serverCloses)})`
        : ''),
    `  load generator: cpu ${Math.round((load.cpuMs / load.windowMs) * 100)}% of one core, peak rss ${Math.round(load.peakRssMb)} MB,` +
      ` send lag p99 ${fmt(load.lag.p99)} ms max ${fmt(load.lag.max)} ms;` +
      (row.postgresPct !== undefined
        ? ` PostgreSQL backends cpu ${Math.round(row.postgresPct)}% of one core;`
        : '') +
      ` machine busy ${fmt(row.machinePct ?? NaN, 0)}% of ${cpus().length} cores`,
  ].join('\n');
}

/**
 * The server's CPU per accepted event, in µs. Comparable across runs on machines of different
 * speed: the relay's figure in the same run is the floor for the same reads and writes.
 */
function cpuPerEventMicros(row: Row): number {
  return (row.server.cpuMs * 1000) / Math.max(1, row.load.eventsAccepted);
}

/** Share of the (transcript, subscriber) pairs sent in the window that arrived, in %. */
function deliveredPct(row: Row): number {
  return (row.load.latency.count / row.load.latenciesExpected) * 100;
}

function table(rows: Row[]): string {
  const header =
    '| target | calls | timed delivered | p50 ms | p95 ms | p99 ms | max ms | events/s in | messages/s out | server CPU | server CPU per event | server peak RSS | load-gen CPU | machine busy | finals lost / reordered |';
  const pct = (n: number | undefined) => (n === undefined ? '-' : `${Math.round(n)}%`);
  const lines = rows.map((row) => {
    const { load, server } = row;
    const s = load.windowMs / 1000;
    const serverCpu =
      pct((server.cpuMs / server.wallMs) * 100) +
      (row.postgresPct !== undefined ? ` (+${pct(row.postgresPct)} PG)` : '');
    const delivered = pct(deliveredPct(row));
    const perEvent = `${int(cpuPerEventMicros(row))} µs`;
    return `| ${row.label} | ${int(row.calls)} | ${delivered} | ${fmt(load.latency.p50)} | ${fmt(load.latency.p95)} | ${fmt(load.latency.p99)} | ${fmt(load.latency.max)} | ${int(load.eventsAccepted / s)} | ${int((load.callFrames + load.wallboardFrames) / s)} | ${serverCpu} | ${perEvent} | ${Math.round(server.peakRssMb)} MB | ${pct((load.cpuMs / load.windowMs) * 100)} | ${pct(row.machinePct)} | ${load.finalsLostAcked} / ${load.finalsReordered} |`;
  });
  return [header, `|${' --- |'.repeat(15)}`, ...lines].join('\n');
}

/** Each target's runs at each step, when there were several: the middle run and the range. */
function spread(rows: Row[]): string {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = `${row.label} | ${int(row.calls)}`;
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  const range = (values: number[], digits: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = percentile(sorted, 50); // the lower middle for an even count
    return `${fmt(middle, digits)} (${fmt(sorted[0]!, digits)}–${fmt(sorted.at(-1)!, digits)})`;
  };
  const lines = [...groups].map(([key, group]) => {
    const p99 = group.map((row) => row.load.latency.p99);
    const perEvent = group.map(cpuPerEventMicros);
    const delivered = group.map(deliveredPct);
    const lost = group.reduce(
      (n, row) => n + row.load.finalsLostAcked + row.load.finalsReordered,
      0,
    );
    return `| ${key} | ${group.length} | ${range(p99, 1)} | ${range(perEvent, 0)} | ${range(delivered, 0)} | ${lost} |`;
  });
  return [
    '| target | calls | runs | p99 ms, middle run (range) | server CPU per event µs | timed delivered % | finals lost or reordered, all runs |',
    `|${' --- |'.repeat(7)}`,
    ...lines,
  ].join('\n');
}

type Databases = typeof DatabasesModule;

/** What runs as the server for `target`, and what to undo after; undefined if it cannot run here. */
async function serverFor(
  target: string,
  { createPostgresDatabase, postgresAvailable, TEST_POSTGRES_URL }: Databases,
): Promise<{ spec: ServerSpec; cleanup: () => Promise<void> } | undefined> {
  const none = async () => {};
  if (target === 'relay')
    return {
      spec: { role: 'server', kind: 'relay', label: 'bare ws relay', flags: {} },
      cleanup: none,
    };
  const busyRelay = /^relay\+(\d+)$/.exec(target);
  if (busyRelay)
    return {
      spec: {
        role: 'server',
        kind: 'relay',
        label: `ws relay + ${busyRelay[1]} µs work per frame`,
        flags: {},
        relayWorkMicros: Number(busyRelay[1]),
      },
      cleanup: none,
    };
  if (target === 'pglite')
    return {
      spec: {
        role: 'server',
        kind: 'earshot',
        label: 'PGlite (in memory)',
        flags: { 'data-dir': 'memory://' },
      },
      cleanup: none,
    };
  if (target === 'postgres' || target === 'postgres-thread') {
    if (!postgresAvailable) {
      console.log(`PostgreSQL skipped: no server at ${TEST_POSTGRES_URL}`);
      return undefined;
    }
    const database = await createPostgresDatabase();
    const thread = target === 'postgres-thread';
    return {
      spec: {
        role: 'server',
        kind: 'earshot',
        label: thread ? 'PostgreSQL 15, engine thread' : 'PostgreSQL 15',
        flags: { 'database-url': database.url, ...(thread ? { 'engine-thread': 'true' } : {}) },
      },
      cleanup: () => database.drop(),
    };
  }
  throw new Error(`unknown target ${target}`);
}

export async function run(): Promise<void> {
  // Imported here: it probes PostgreSQL on import, which the children need not do.
  const databases = await import('../packages/server/test/support/databases.ts');
  if (PROFILE_DIR) await mkdir(PROFILE_DIR, { recursive: true });
  const rows: Row[] = [];
  for (const calls of STEPS) {
    for (let repeat = 1; repeat <= REPEAT; repeat++) {
      for (const target of TARGETS) {
        const runName = REPEAT > 1 ? `${target}-${calls}-${repeat}` : `${target}-${calls}`;
        const profile = PROFILE_DIR ? join(PROFILE_DIR, `${runName}.cpuprofile`) : undefined;
        const server = await serverFor(target, databases);
        if (!server) continue;
        const { spec, cleanup } = server;
        if (profile) spec.profile = profile;
        try {
          const row = await runOne(spec, calls);
          rows.push(row);
          console.log(describe(row));
          if (profile) console.log(summariseProfile(profile, 15));
        } finally {
          await cleanup();
        }
      }
    }
  }
  console.log(`\n${table(rows)}`);
  if (REPEAT > 1) console.log(`\n${spread(rows)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const child = process.env.BENCH_REALTIME_CHILD;
  if (!child) await run();
  else {
    const spec = JSON.parse(child) as ServerSpec | LoadSpec;
    if (spec.role === 'server') await serverChild(spec);
    else await loadChild(spec);
  }
}
