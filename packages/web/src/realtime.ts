// The console's one realtime connection (the typed @earshot/client over the browser's
// WebSocket) and the React hooks that read it. Deltas are applied as they arrive; React state
// is updated at most once per animation frame, so a burst of changes costs one render.
import {
  applyCallChanges,
  applyWallboardChanges,
  RealtimeClient,
  type ConnectionState,
} from '@earshot/client';
import type { CallChange, CallSnapshot, WallboardChange, WallboardEntry } from '@earshot/protocol';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { realtimeUrl } from './session.ts';

/** What the wallboard shows of one call. */
export type WallboardRow = WallboardEntry;

export interface Connection {
  state: ConnectionState;
  detail?: string;
  /** When a subscription last had to start again from a fresh snapshot. */
  resyncedAt?: number;
}

let client: RealtimeClient | undefined;
let connection: Connection = { state: 'connecting' };
const listeners = new Set<() => void>();

function setConnection(next: Connection): void {
  connection = next;
  for (const listener of listeners) listener();
}

export function realtime(): RealtimeClient {
  client ??= new RealtimeClient({
    url: realtimeUrl(),
    socket: (url) => new WebSocket(url) as never,
    onStateChange: (state, detail) =>
      setConnection({ ...connection, state, ...(detail ? { detail } : { detail: undefined }) }),
  });
  return client;
}

/** Closes the connection (sign-out); the next realtime() opens a new one. */
export function disconnect(): void {
  client?.close();
  client = undefined;
  setConnection({ state: 'connecting' });
}

function noteResync(): void {
  setConnection({ ...connection, resyncedAt: Date.now() });
}

export function useConnection(): Connection {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => connection,
  );
}

/** Calls `commit` at most once per animation frame, with the latest value. */
function useFrameState<T>(initial: T): [T, (value: T) => void] {
  const [value, setValue] = useState(initial);
  const latest = useRef(value);
  const frame = useRef<number | undefined>(undefined);
  useEffect(() => () => cancelAnimationFrame(frame.current ?? 0), []);
  return [
    value,
    (next: T) => {
      latest.current = next;
      frame.current ??= requestAnimationFrame(() => {
        frame.current = undefined;
        setValue(latest.current);
      });
    },
  ];
}

/** Every live call's wallboard row, by callId, kept current. */
export function useWallboard(): Map<string, WallboardRow> | undefined {
  const [rows, setRows] = useFrameState<Map<string, WallboardRow> | undefined>(undefined);
  useEffect(() => {
    let current = new Map<string, WallboardRow>();
    const subscription = realtime().subscribe<{ calls: WallboardRow[] }, WallboardChange>(
      { kind: 'wallboard' },
      {
        onSnapshot(data) {
          current = new Map(data.calls.map((row) => [row.callId, row]));
          setRows(current);
        },
        onDelta(changes) {
          current = new Map(current);
          applyWallboardChanges(current, changes);
          setRows(current);
        },
        onResync: noteResync,
      },
    );
    return () => subscription.unsubscribe();
  }, []);
  return rows;
}

/** A supervisor following the same call (presence). */
export interface Watcher {
  id: string;
  name: string;
}

export type CallView =
  | { kind: 'loading'; detail?: string }
  | { kind: 'missing'; detail: string }
  | { kind: 'live'; call: CallSnapshot; watchers: Watcher[] };

/** One call's ten tables, kept current. */
export function useCall(callId: string): CallView {
  const [view, setView] = useFrameState<CallView>({ kind: 'loading' });
  useEffect(() => {
    let current: CallSnapshot | undefined;
    let watchers: Watcher[] = [];
    const subscription = realtime().subscribe<CallSnapshot, CallChange>(
      { kind: 'call', callId },
      {
        onSnapshot(data) {
          current = data;
          setView({ kind: 'live', call: current, watchers });
        },
        onDelta(changes) {
          if (!current) return;
          current = applyCallChanges(current, changes);
          setView({ kind: 'live', call: current, watchers });
        },
        onPresence(list) {
          watchers = list;
          if (current) setView({ kind: 'live', call: current, watchers });
        },
        onResync: noteResync,
        onError(problem) {
          // 503: a restarted server is still reading the call back; 429 with retryAfter: this
          // connection asked too often. Either way the client asks again.
          setView(
            problem.status === 503
              ? {
                  kind: 'loading',
                  detail: 'The server has restarted and is still reading this call back…',
                }
              : problem.status === 429 && problem.retryAfter !== undefined
                ? { kind: 'loading', detail: 'Too many requests on this connection; asking again…' }
                : { kind: 'missing', detail: problem.detail },
          );
        },
      },
    );
    return () => subscription.unsubscribe();
  }, [callId]);
  return view;
}
