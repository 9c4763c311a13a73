// The typed client of Earshot's realtime socket, for the console and the simulator. It keeps
// one WebSocket, re-subscribes after a drop with the last version each subscription applied
// (so the server sends exactly what was missed, or a resync), and reconnects with exponential
// backoff and jitter. It works in browsers and in Node (pass `ws` as the WebSocket class).
import {
  clientMessage,
  CLOSE_CODES,
  serverMessage,
  type ClientMessage,
  type Problem,
  type ServerMessage,
  type Topic,
} from '@earshot/protocol';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'closed';

/** The part of the WebSocket API this client uses (browser WebSocket and `ws` both have it). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
export type SocketFactory = (url: string) => SocketLike;

export interface SubscriptionHandlers<Data = unknown, Change = unknown> {
  /** The full state at `version`; replaces whatever the subscriber held. */
  onSnapshot(data: Data, version: number): void;
  /** Changes covering versions fromVersion..version (fromVersion is the previous version + 1). */
  onDelta(changes: Change[], version: number, fromVersion: number): void;
  /** The history was gone: a snapshot follows. */
  onResync?(reason: string): void;
  /** The server refused the subscription. After a 503 the client asks again by itself. */
  onError?(problem: Problem): void;
  /** Who is watching this call now (call topics only), this client included. */
  onPresence?(watchers: Array<{ id: string; name: string }>): void;
}

export interface RealtimeClientOptions {
  /** ws:// or wss:// URL of /api/v1/realtime. */
  url: string;
  /** Sent in a hello frame (browsers cannot set headers on a WebSocket). */
  token?: string;
  socket: SocketFactory;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  random?: () => number;
  setTimeout?: (callback: () => void, ms: number) => unknown;
  onStateChange?: (state: ConnectionState, detail?: string) => void;
}

interface Subscription {
  id: string;
  topic: Topic;
  handlers: SubscriptionHandlers<never, never>;
  version: number | undefined;
}

const OPEN = 1;
/** Close codes after which reconnecting cannot help. */
const FINAL_CODES = new Set<number>([CLOSE_CODES.unauthenticated, CLOSE_CODES.malformedFrame]);

export class RealtimeClient {
  private socket: SocketLike | undefined;
  private readonly subscriptions = new Map<string, Subscription>();
  private nextId = 1;
  private attempt = 0;
  private stateValue: ConnectionState = 'connecting';
  private stopped = false;
  private ready = false;

  constructor(private readonly options: RealtimeClientOptions) {
    this.connect();
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  private setState(state: ConnectionState, detail?: string): void {
    this.stateValue = state;
    this.options.onStateChange?.(state, detail);
  }

  /**
   * @example
   * const sub = client.subscribe({ kind: 'call', callId }, { onSnapshot: ..., onDelta: ... });
   * sub.unsubscribe();
   */
  subscribe<Data, Change>(
    topic: Topic,
    handlers: SubscriptionHandlers<Data, Change>,
  ): { id: string; unsubscribe(): void } {
    const id = `s${this.nextId++}`;
    const subscription: Subscription = {
      id,
      topic,
      handlers: handlers as SubscriptionHandlers<never, never>,
      version: undefined,
    };
    this.subscriptions.set(id, subscription);
    if (this.ready) this.sendSubscribe(subscription);
    return {
      id,
      unsubscribe: () => {
        this.subscriptions.delete(id);
        if (this.ready) this.send({ type: 'unsubscribe', id });
      },
    };
  }

  /** The last version applied by a subscription (for tests and diagnostics). */
  versionOf(id: string): number | undefined {
    return this.subscriptions.get(id)?.version;
  }

  close(): void {
    this.stopped = true;
    this.socket?.close(1000, 'client closed');
    this.setState('closed');
  }

  /** Drops the connection as a network failure would; the client reconnects and resumes. */
  dropConnection(): void {
    this.socket?.close(4000, 'dropped by client');
  }

  private send(message: ClientMessage): void {
    if (this.socket?.readyState === OPEN)
      this.socket.send(JSON.stringify(clientMessage.parse(message)));
  }

  /** Drops what the subscription was sent and asks for a fresh snapshot. */
  private startOver(subscription: Subscription): void {
    subscription.version = undefined;
    this.send({ type: 'unsubscribe', id: subscription.id });
    this.sendSubscribe(subscription);
  }

  private sendSubscribe(subscription: Subscription): void {
    this.send({
      type: 'subscribe',
      id: subscription.id,
      topic: subscription.topic,
      ...(subscription.version !== undefined ? { resumeFrom: subscription.version } : {}),
    });
  }

  private connect(): void {
    const socket = this.options.socket(this.options.url);
    this.socket = socket;
    this.ready = false;
    socket.onopen = () => {
      if (this.options.token)
        socket.send(JSON.stringify({ type: 'hello', token: this.options.token }));
    };
    socket.onmessage = (event) => this.onMessage(event.data);
    socket.onerror = () => undefined; // a close follows
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.ready = false;
      if (this.stopped) return;
      if (FINAL_CODES.has(event.code)) {
        this.stopped = true;
        this.setState('closed', `${event.code} ${event.reason}`);
        return;
      }
      this.setState('reconnecting', `${event.code} ${event.reason}`);
      const min = this.options.minBackoffMs ?? 250;
      const max = this.options.maxBackoffMs ?? 10_000;
      const base = Math.min(max, min * 2 ** this.attempt++);
      const delay = base / 2 + ((this.options.random ?? Math.random)() * base) / 2; // jitter
      (this.options.setTimeout ?? setTimeout)(() => {
        if (!this.stopped) this.connect();
      }, delay);
    };
  }

  private onMessage(data: unknown): void {
    let message: ServerMessage;
    try {
      message = serverMessage.parse(JSON.parse(String(data)));
    } catch {
      this.socket?.close(CLOSE_CODES.malformedFrame, 'malformed server frame');
      return;
    }
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.attempt = 0;
        this.setState('live');
        for (const subscription of this.subscriptions.values()) this.sendSubscribe(subscription);
        return;
      case 'snapshot': {
        const subscription = this.subscriptions.get(message.id);
        if (!subscription) return;
        subscription.version = message.version;
        subscription.handlers.onSnapshot(message.data as never, message.version);
        return;
      }
      case 'delta': {
        const subscription = this.subscriptions.get(message.id);
        if (!subscription) return;
        if (
          subscription.version !== undefined &&
          message.fromVersion !== subscription.version + 1
        ) {
          // A gap must never be papered over: start again from a snapshot.
          return this.startOver(subscription);
        }
        subscription.version = message.version;
        try {
          subscription.handlers.onDelta(
            message.changes as never[],
            message.version,
            message.fromVersion,
          );
        } catch {
          // The subscriber's copy could not take the change (a patch of a row it does not
          // hold): it is out of step with the server, so it starts again from a snapshot.
          this.startOver(subscription);
        }
        return;
      }
      case 'resync': {
        const subscription = this.subscriptions.get(message.id);
        if (!subscription) return;
        subscription.version = undefined;
        subscription.handlers.onResync?.(message.reason);
        return;
      }
      case 'error': {
        const subscription = message.id ? this.subscriptions.get(message.id) : undefined;
        if (!subscription) return;
        subscription.handlers.onError?.(message.problem);
        // 503: the server cannot answer yet (a restarted server still reading an ended call
        // back); 429 with retryAfter: this connection sent too many messages. The subscription
        // is asked for again once the wait is over (a second or so for a 503), until a
        // snapshot or another answer comes; a reconnect asks for it anyway. The jitter only
        // adds to the wait (up to half again): asked sooner, the server would refuse it once
        // more. A 429 without retryAfter (too many subscriptions) would only be refused again.
        const { status, retryAfter } = message.problem;
        if (status === 503 || (status === 429 && retryAfter !== undefined)) {
          const socket = this.socket;
          const jitter = (this.options.random ?? Math.random)() / 2;
          const delay = 1_000 * (retryAfter ?? 1) * (1 + jitter);
          (this.options.setTimeout ?? setTimeout)(() => {
            if (this.socket === socket && this.ready && this.subscriptions.has(subscription.id))
              this.sendSubscribe(subscription);
          }, delay);
        }
        return;
      }
      case 'presence': {
        this.subscriptions.get(message.id)?.handlers.onPresence?.(message.watchers);
        return;
      }
      case 'unsubscribed':
      case 'pong':
      case 'heartbeat':
        return;
    }
  }
}
