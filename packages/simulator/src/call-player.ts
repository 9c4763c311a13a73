// Plays a planned call against a running Earshot exactly as an outside pipeline would: HTTP to
// start and end it, one streaming-ingest WebSocket for its events (numbered by seq in time
// order), counting what was sent and what was acknowledged.
import { formatCallClock } from '@earshot/engine';
import type { CallStatus, EndReason, IngestEvent } from '@earshot/protocol';
import WebSocket from 'ws';
import type { CallPlan } from './call-plan.ts';

export interface PlayStats {
  sent: number;
  acknowledged: number;
  refused: number;
}

/** An event as the player is told to send it; it numbers events itself. */
export type UnnumberedEvent = IngestEvent extends infer E
  ? E extends IngestEvent
    ? Omit<E, 'seq'>
    : never
  : never;

/**
 * The voice platform's hold on a call being played: what a supervisor's action makes it do.
 * Injected events go out with the next frame, after the plan's; ending stops the plan.
 */
export class CallControl {
  readonly injected: UnnumberedEvent[] = [];
  endReason: EndReason | undefined;
  /** The status the player last sent (so an injected transfer starts from a valid one). */
  status: CallStatus = 'connecting';
  /** A transfer is under way: the plan's own status changes are skipped until it completes. */
  transferring = false;

  inject(...events: UnnumberedEvent[]): void {
    this.injected.push(...events);
  }

  end(reason: EndReason): void {
    this.endReason = reason;
  }
}

export interface PlayOptions {
  baseUrl: string;
  apiKey: string;
  /** 1 = real time; 10 = ten times faster. */
  speed?: number;
  signal?: AbortSignal;
  onError?: (message: string) => void;
  control?: CallControl;
}

async function post(options: PlayOptions, path: string, body: unknown): Promise<Response> {
  return fetch(`${options.baseUrl}/api/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export async function playCall(plan: CallPlan, options: PlayOptions): Promise<PlayStats> {
  const stats: PlayStats = { sent: 0, acknowledged: 0, refused: 0 };
  const speed = options.speed ?? 1;
  const started = await post(options, '/calls', plan.start);
  if (started.status !== 201 && started.status !== 200) {
    options.onError?.(`start ${plan.start.callId}: HTTP ${started.status} ${await started.text()}`);
    stats.refused += 1;
    return stats;
  }
  const socket = new WebSocket(
    `${options.baseUrl.replace(/^http/, 'ws')}/api/v1/calls/${encodeURIComponent(plan.start.callId)}/stream`,
    {
      headers: { authorization: `Bearer ${options.apiKey}` },
    },
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let outstanding = 0;
  let settled: () => void = () => undefined;
  let hangingUp = false;
  let closedByServer: number | undefined;
  socket.on('close', (code, reason) => {
    if (hangingUp) return;
    // The server ended the stream (its key revoked or expired, or the server going away): no
    // more acks will come for what is outstanding.
    closedByServer = code;
    options.onError?.(
      `${plan.start.callId}: stream closed by the server (${code}${reason.length ? ` ${String(reason)}` : ''})`,
    );
    settled();
  });
  socket.on('message', (data) => {
    const reply = JSON.parse(data.toString()) as {
      type: string;
      accepted?: number;
      duplicates?: number;
      problem?: { detail: string };
    };
    outstanding--;
    if (reply.type === 'ack') stats.acknowledged += (reply.accepted ?? 0) + (reply.duplicates ?? 0);
    else {
      stats.refused += 1;
      options.onError?.(`${plan.start.callId}: ${reply.problem?.detail ?? 'refused'}`);
    }
    if (outstanding === 0) settled();
  });

  const began = Date.now();
  let seq = 0;
  let index = 0;
  // Each 100 ms, everything that has fallen due goes out as one frame.
  const control = options.control;
  while (
    index < plan.events.length &&
    !options.signal?.aborted &&
    control?.endReason === undefined &&
    socket.readyState === WebSocket.OPEN
  ) {
    const elapsed = (Date.now() - began) * speed;
    const batch: IngestEvent[] = [];
    while (index < plan.events.length && plan.events[index]!.at <= elapsed && batch.length < 200) {
      const planned = plan.events[index]!.event;
      index++;
      if (control?.transferring && planned.type === 'status') continue;
      batch.push({ ...planned, seq: ++seq } as IngestEvent);
    }
    for (const event of control?.injected.splice(0) ?? []) {
      // The platform's own lines are said now, whatever time they were asked for.
      const now = event.type === 'transcript' ? { timestamp: formatCallClock(elapsed / 1000) } : {};
      batch.push({ ...event, ...now, seq: ++seq } as IngestEvent);
    }
    if (control) {
      for (const event of batch) if (event.type === 'status') control.status = event.status;
    }
    if (batch.length > 0) {
      outstanding++;
      stats.sent += batch.length;
      socket.send(JSON.stringify({ events: batch }));
    }
    await sleep(100, options.signal);
  }
  if (outstanding > 0 && closedByServer === undefined)
    await new Promise<void>((resolve) => ((settled = resolve), setTimeout(resolve, 10_000)));
  hangingUp = true;
  socket.close();
  // Refused credentials cannot end the call either; the server ends it as stale.
  if (closedByServer === 4401) return stats;
  // A stopped simulator hangs up its calls rather than leave them live until they go stale.
  if (!options.signal?.aborted && control?.endReason === undefined) {
    await sleep((plan.endAt - (plan.events.at(-1)?.at ?? 0)) / speed, options.signal);
  }
  const reason = options.signal?.aborted ? 'failed' : (control?.endReason ?? plan.endReason);
  const path = `/calls/${encodeURIComponent(plan.start.callId)}/end`;
  const ended = await post(options, path, { reason }).catch(() => undefined);
  if (ended && ended.status !== 200)
    options.onError?.(`end ${plan.start.callId}: HTTP ${ended.status}`);
  return stats;
}
