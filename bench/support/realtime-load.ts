// The load generator of bench/realtime-latency: C calls each streaming their scripted events
// over one ingest WebSocket at a fixed rate (open loop: a frame is sent when it is due, whether
// or not earlier ones were acknowledged), S realtime sockets following each call and W sockets
// following the wallboard. It runs in its own process, apart from the server it loads.
//
// Latency: every transcript event carries its send time (performance.timeOrigin + now(), so it
// is comparable across processes on one machine) at the start of its text, spelled in letters
// so that redaction leaves it alone. A call subscriber
// takes its receive time the moment a frame comes off its socket, before parsing, and for
// every transcript document it sees for the first time (by seq) records receive − send.
// Final transcripts: each must reach every call subscriber, and a new segment's final must
// never arrive after a later segment's (by `order`), nor may an interim replace a final.
import { performance } from 'node:perf_hooks';
import type { IngestEvent } from '@earshot/protocol';
import WebSocket, { type RawData } from 'ws';
import { plannedEvents } from '../../packages/simulator/src/index.ts';
import { startRequest } from '../../packages/server/test/support/scripted-call.ts';

export interface LoadOptions {
  /** `earshot`: the real server's frames; `relay`: the bare relay forwarding ingest frames. */
  mode: 'earshot' | 'relay';
  /** http://host:port of the server. */
  base: string;
  ingestKey: string;
  monitorKey: string;
  calls: number;
  subscribersPerCall: number;
  wallboards: number;
  /** Events per second per call; one event per frame. */
  rate: number;
  /**
   * Where in the script each call starts. `staggered` (the default): call i starts i/calls of
   * the way into the first minute of script, so at any moment the calls are at different
   * points of their conversations, as in a contact centre. `lockstep`: every call starts at
   * the first event, so every call sends the same kind of event in the same 100 ms (all
   * calls' finals at once, then all their audio levels); the worst case, kept to compare with.
   */
  start: 'staggered' | 'lockstep';
  warmupMs: number;
  measureMs: number;
  /** After sending stops: longest wait for every acknowledgement and every final. */
  drainTimeoutMs: number;
  /**
   * Told when the measured window starts and ends (the server's CPU is measured over it), and
   * when the drain is over, before this side closes its sockets.
   */
  onWindow: (edge: 'start' | 'end' | 'drained') => Promise<void> | void;
}

export interface LoadResult {
  /** Transcript latencies (ms) of events sent inside the window, at every call subscriber. */
  latencies: number[];
  /**
   * Latencies there would be if every transcript sent in the window reached every subscriber
   * by the end of the drain (interims coalesced away by the server make this an upper bound).
   */
  latenciesExpected: number;
  windowMs: number;
  /** Events sent in the window (offered) and acknowledged in the window (accepted). */
  eventsSent: number;
  eventsAccepted: number;
  /** Frames received by subscribers in the window, and their bytes. */
  callFrames: number;
  wallboardFrames: number;
  bytesOut: number;
  /** Of bytesOut, the bytes of wallboard frames. */
  wallboardBytes: number;
  /** Acknowledgement latency (send → ack), ms, for frames sent in the window. */
  ackLatencies: number[];
  /** How late the load generator sent frames against their schedule, ms (its own lag). */
  sendLag: number[];
  /** Frames not acknowledged when the window ended, and when the drain gave up. */
  unackedAtWindowEnd: number;
  unackedAtEnd: number;
  drainMs: number;
  ingestErrors: number;
  /** The first refusal the server sent, if any (its frame as received). */
  firstIngestError: string | undefined;
  /** Finals in frames sent, summed over call subscribers. */
  finalsExpected: number;
  /** Finals that never reached a subscriber: all, and those in frames the server acknowledged. */
  finalsLost: number;
  finalsLostAcked: number;
  finalsReordered: number;
  /** Deltas whose fromVersion did not follow the previous frame's version. */
  versionGaps: number;
  /** Sockets the server closed, by "kind code when" (e.g. "call subscriber 4408 in drain"). */
  closes: Record<string, number>;
  /** Longest time a call subscriber went between two server pings (the heartbeat is 15 s). */
  maxPingGapMs: number;
  /** The load generator's own CPU (ms) over the window and peak RSS (MB). */
  cpuMs: number;
  peakRssMb: number;
}

const now = () => performance.timeOrigin + performance.now();

/**
 * A send time written in letters (digit d as the letter 'a' + d, in microseconds): a run of
 * digits at the start of a transcript could be taken for an account or phone number and
 * redacted, and the time would be lost.
 */
export function encodeStamp(at: number): string {
  return String(Math.round(at * 1000)).replace(/\d/g, (d) => String.fromCharCode(97 + Number(d)));
}

export function decodeStamp(text: string): number {
  const word = text.slice(0, text.indexOf(' '));
  return Number(word.replace(/[a-j]/g, (c) => String(c.charCodeAt(0) - 97))) / 1000;
}
const TS = '@@SENT_AT@@';

interface Subscriber {
  call: number;
  /** Last version applied (earshot mode). */
  version: number | undefined;
  /** seqs of transcript documents already measured. */
  measured: Set<number>;
  /** Segments whose final arrived. */
  finals: Set<string>;
  lastFinalOrder: number;
}

interface TranscriptSeen {
  seq: number;
  segmentId: string;
  isFinal: boolean;
  text: string;
  order: number;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function opened(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, perMessageDeflate: false });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The next frame on `socket` that satisfies `accept`. */
function frame(socket: WebSocket, accept: (message: { type?: string }) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer within 30 s')), 30_000);
    const onMessage = (data: RawData) => {
      const message = JSON.parse(String(data)) as { type?: string };
      if (message.type === 'error') reject(new Error(`refused: ${String(data)}`));
      if (!accept(message)) return;
      clearTimeout(timer);
      socket.off('message', onMessage);
      resolve();
    };
    socket.on('message', onMessage);
  });
}

async function expectOk(response: Response, what: string): Promise<void> {
  if (!response.ok) throw new Error(`${what}: ${response.status} ${await response.text()}`);
}

/** Each event as the frame that carries it: a prefix and suffix around the send time, or whole. */
function framesOf(
  events: IngestEvent[],
): Array<{ parts: [string, string] | string; final?: string }> {
  return events.map((event) => {
    if (event.type !== 'transcript') return { parts: JSON.stringify({ events: [event] }) };
    const text = JSON.stringify({ events: [{ ...event, text: `${TS} ${event.text}` }] });
    const [before, after] = text.split(TS) as [string, string];
    return { parts: [before, after], ...(event.isFinal ? { final: event.segmentId } : {}) };
  });
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { calls, rate } = options;
  const wsBase = options.base.replace(/^http/, 'ws');
  const callIds = Array.from({ length: calls }, (_, i) => `rt-call-${i + 1}`);
  // Sized with 60 s to spare: an overloaded server can take seconds to answer the window hand-off,
  // and running out of script would stop the sender.
  const perCall = Math.ceil((rate * (options.warmupMs + options.measureMs)) / 1000) + 60 * rate;
  // The simulator's calls, as in the demo: one stream every call replays. Each call sends the
  // stream's opening status changes (ringing, then connected), then goes on from its
  // own point (`start`) within the stream's first minute.
  const spread = options.start === 'staggered' ? 60 * rate : 0;
  const events = plannedEvents('rt', 1, perCall + spread);
  const opening = events.findIndex((event) => event.type !== 'status');
  const skipped = callIds.map((_, call) => Math.floor((call * spread) / calls));
  /** Where in the script a call's k-th event is. */
  const scriptIndex = (call: number, k: number) => (k < opening ? k : k + skipped[call]!);
  const script = framesOf(events);
  /** Finals among the first k events of the script. */
  const finalsUpTo = [0];
  const finalIndex = new Map<string, number>();
  script.forEach((f, index) => {
    finalsUpTo.push(finalsUpTo.at(-1)! + (f.final ? 1 : 0));
    if (f.final) finalIndex.set(f.final, index);
  });

  // Setup, not measured: calls started, subscribers following them, ingest sockets open.
  if (options.mode === 'earshot') {
    await pool(callIds, 20, async (callId) =>
      expectOk(
        await fetch(`${options.base}/api/v1/calls`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${options.ingestKey}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify(startRequest(callId)),
        }),
        `start ${callId}`,
      ),
    );
  }

  let measuring = false;
  let windowStart = Infinity; // nothing is timed before the window opens
  let windowEnd = Infinity;
  const latencies: number[] = [];
  const ackLatencies: number[] = [];
  const sendLag: number[] = [];
  let callFrames = 0;
  let wallboardFrames = 0;
  let bytesOut = 0;
  let wallboardBytes = 0;
  let versionGaps = 0;
  let finalsReordered = 0;
  const closes: Record<string, number> = {};
  let closing = false;
  let maxPingGapMs = NaN; // stays NaN unless a subscriber sees two pings

  const onTranscript = (sub: Subscriber, doc: TranscriptSeen, at: number) => {
    if (!sub.measured.has(doc.seq)) {
      sub.measured.add(doc.seq);
      const sent = decodeStamp(doc.text);
      if (sent >= windowStart && sent < windowEnd) latencies.push(at - sent);
    }
    if (doc.isFinal) {
      if (sub.finals.has(doc.segmentId)) return;
      if (doc.order < sub.lastFinalOrder) finalsReordered++;
      sub.finals.add(doc.segmentId);
      sub.lastFinalOrder = Math.max(sub.lastFinalOrder, doc.order);
    } else if (sub.finals.has(doc.segmentId)) {
      finalsReordered++; // an interim replaced a final: the row went backwards
    }
  };

  const onCallFrame = (sub: Subscriber, data: RawData) => {
    const at = now();
    if (measuring) {
      callFrames++;
      bytesOut += (data as Buffer).length;
    }
    const message = JSON.parse(String(data)) as {
      type?: string;
      version?: number;
      fromVersion?: number;
      changes?: Array<{ table: string; doc: TranscriptSeen }>;
      events?: Array<IngestEvent>;
    };
    if (options.mode === 'relay') {
      for (const event of message.events ?? [])
        if (event.type === 'transcript')
          onTranscript(sub, { ...event, order: event.seq } as TranscriptSeen, at);
      return;
    }
    if (message.type === 'snapshot') sub.version = message.version;
    if (message.type !== 'delta') return;
    if (message.fromVersion !== sub.version! + 1) versionGaps++;
    sub.version = message.version;
    for (const change of message.changes ?? [])
      if (change.table === 'liveTranscripts') onTranscript(sub, change.doc, at);
  };

  /** Counts a socket the server closed, by kind, code and when (in the window or after it). */
  const noteClose = (kind: string) => (code: number) => {
    if (closing) return;
    const when = windowEnd === Infinity ? (measuring ? 'in window' : 'before window') : 'in drain';
    const key = `${kind} ${code} ${when}`;
    closes[key] = (closes[key] ?? 0) + 1;
  };

  const hello = async (socket: WebSocket) => {
    const ready = frame(socket, (m) => m.type === 'ready');
    socket.send(JSON.stringify({ type: 'hello', token: options.monitorKey }));
    await ready;
  };
  const subscribe = async (socket: WebSocket, topic: object) => {
    const snapshot = frame(socket, (m) => m.type === 'snapshot');
    socket.send(JSON.stringify({ type: 'subscribe', id: 's1', topic }));
    await snapshot;
  };

  const subscribers: Subscriber[] = [];
  const sockets: WebSocket[] = [];
  const subscriberJobs = callIds.flatMap((callId, call) =>
    Array.from({ length: options.subscribersPerCall }, () => ({ callId, call })),
  );
  await pool(subscriberJobs, 50, async ({ callId, call }) => {
    const socket = await opened(`${wsBase}/api/v1/realtime`);
    sockets.push(socket);
    await hello(socket);
    const sub: Subscriber = {
      call,
      version: undefined,
      measured: new Set(),
      finals: new Set(),
      lastFinalOrder: -Infinity,
    };
    subscribers.push(sub);
    socket.on('message', (data: RawData) => onCallFrame(sub, data));
    socket.on('close', noteClose('call subscriber'));
    let lastPing: number | undefined;
    socket.on('ping', () => {
      const at = now();
      if (lastPing !== undefined) maxPingGapMs = Math.max(maxPingGapMs || 0, at - lastPing);
      lastPing = at;
    });
    await subscribe(socket, { kind: 'call', callId });
  });
  // Wallboard frames are counted, not parsed (they can be large, and their parsing would be the
  // load generator's CPU, not the server's); Earshot's are checked for contiguous versions.
  const versionHead = /^\{"type":"(\w+)","id":"[^"]*","(?:fromVersion":(\d+),")?version":(\d+)/;
  await pool(
    Array.from({ length: options.wallboards }, (_, i) => i),
    20,
    async () => {
      const socket = await opened(`${wsBase}/api/v1/realtime`);
      sockets.push(socket);
      await hello(socket);
      let version: number | undefined;
      socket.on('message', (data: RawData) => {
        if (measuring) {
          wallboardFrames++;
          bytesOut += (data as Buffer).length;
          wallboardBytes += (data as Buffer).length;
        }
        if (options.mode !== 'earshot') return;
        const head = versionHead.exec((data as Buffer).toString('latin1', 0, 120));
        if (head?.[1] === 'snapshot') version = Number(head[3]);
        if (head?.[1] !== 'delta') return;
        if (Number(head[2]) !== version! + 1) versionGaps++;
        version = Number(head[3]);
      });
      socket.on('close', noteClose('wallboard'));
      await subscribe(socket, { kind: 'wallboard' });
    },
  );

  // Script positions: the next event each call sends, and how far its acks have come.
  const sent = new Array<number>(calls).fill(0);
  const acked = new Array<number>(calls).fill(0);
  const inFlight: number[][] = callIds.map(() => []);
  let eventsSent = 0;
  let transcriptsSent = 0;
  let eventsAccepted = 0;
  let ingestErrors = 0;
  let firstIngestError: string | undefined;
  const ingest: WebSocket[] = new Array<WebSocket>(calls);
  await pool(
    callIds.map((callId, call) => ({ callId, call })),
    50,
    async ({ callId, call }) => {
      const socket = await opened(`${wsBase}/api/v1/calls/${encodeURIComponent(callId)}/stream`, {
        authorization: `Bearer ${options.ingestKey}`,
      });
      sockets.push(socket);
      socket.on('close', noteClose('ingest'));
      socket.on('message', (data: RawData) => {
        const at = now();
        const ack = JSON.parse(String(data)) as { type: string; accepted?: number };
        const sentAt = inFlight[call]!.shift()!;
        acked[call]!++;
        if (ack.type !== 'ack' || (options.mode === 'earshot' && ack.accepted !== 1)) {
          ingestErrors++;
          firstIngestError ??= String(data).slice(0, 500);
          return;
        }
        if (sentAt >= windowStart && sentAt < windowEnd) ackLatencies.push(at - sentAt);
        if (measuring) eventsAccepted++;
      });
      ingest[call] = socket;
    },
  );

  // The paced, open-loop sender: the n-th frame overall is due at start + n / (calls × rate)
  // seconds and goes to call n mod calls, so every call sends `rate` frames a second, evenly
  // staggered. A timer checks every 2 ms and sends everything due.
  const interval = 1000 / (calls * rate);
  const start = now() + 50;
  let n = 0;
  let stopAt = Infinity;
  const sendDue = () => {
    const t = now();
    while (start + n * interval <= t && start + n * interval < stopAt) {
      const call = n % calls;
      const index = scriptIndex(call, sent[call]!);
      const entry = script[index];
      if (entry === undefined) break; // script exhausted (only if the window outran its sizing)
      const due = start + n * interval;
      n++;
      sent[call]!++;
      const at = now();
      const text =
        typeof entry.parts === 'string' ? entry.parts : entry.parts.join(encodeStamp(at));
      inFlight[call]!.push(at);
      ingest[call]!.send(text);
      if (measuring) {
        eventsSent++;
        if (typeof entry.parts !== 'string') transcriptsSent++;
        sendLag.push(at - due);
      }
    }
  };
  const ticker = setInterval(sendDue, 2);

  const cpuBefore = { value: process.cpuUsage() };
  let peakRss = 0;
  const rssSampler = setInterval(() => {
    if (measuring) peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  await sleep(options.warmupMs);
  await options.onWindow('start');
  cpuBefore.value = process.cpuUsage();
  windowStart = now();
  measuring = true;
  await sleep(options.measureMs);
  measuring = false;
  windowEnd = now();
  stopAt = windowEnd;
  const cpu = process.cpuUsage(cpuBefore.value);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  clearInterval(ticker);
  clearInterval(rssSampler);
  const unacked = () => sent.reduce((total, s, call) => total + s - acked[call]!, 0);
  const unackedAtWindowEnd = unacked();
  await options.onWindow('end');

  // Drain: every frame acknowledged, then every final at every subscriber (or time runs out).
  const drainStart = now();
  /** Finals among a call's first k events (the opening status changes hold none). */
  const finalsBetween = (call: number, k: number) =>
    k <= opening ? 0 : finalsUpTo[scriptIndex(call, k)]! - finalsUpTo[scriptIndex(call, opening)]!;
  const finalsMissing = () =>
    subscribers.reduce(
      (missing, sub) => missing + finalsBetween(sub.call, sent[sub.call]!) - sub.finals.size,
      0,
    );
  while (now() - drainStart < options.drainTimeoutMs && (unacked() > 0 || finalsMissing() > 0))
    await sleep(50);
  const drainMs = now() - drainStart;
  await options.onWindow('drained');

  closing = true;
  for (const socket of sockets) socket.terminate();

  return {
    latencies,
    latenciesExpected: transcriptsSent * options.subscribersPerCall,
    windowMs: windowEnd - windowStart,
    eventsSent,
    eventsAccepted,
    callFrames,
    wallboardFrames,
    bytesOut,
    wallboardBytes,
    ackLatencies,
    sendLag,
    unackedAtWindowEnd,
    unackedAtEnd: unacked(),
    drainMs,
    ingestErrors,
    firstIngestError,
    finalsExpected: subscribers.reduce(
      (total, sub) => total + finalsBetween(sub.call, sent[sub.call]!),
      0,
    ),
    finalsLost: finalsMissing(),
    finalsLostAcked: subscribers.reduce((missing, sub) => {
      const upTo = acked[sub.call]!;
      let received = 0;
      for (const segment of sub.finals)
        if (finalIndex.get(segment)! < scriptIndex(sub.call, upTo)) received++;
      return missing + finalsBetween(sub.call, upTo) - received;
    }, 0),
    finalsReordered,
    versionGaps,
    closes,
    maxPingGapMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMb: peakRss / 1024 / 1024,
  };
}
