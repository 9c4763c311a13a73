// The voice platform's side of supervisor actions, for the demo and the tests: an HTTP
// endpoint that verifies each webhook's signature (refusing forged, stale and replayed ones),
// acts once per action id however often it is delivered, and answers 2xx only when it has.
import { createServer, type Server } from 'node:http';
import {
  IDEMPOTENCY_HEADER,
  NONCE_HEADER,
  REPLAY_WINDOW_SECONDS,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhook,
} from '@earshot/engine';
import type { SupervisorActionKind } from '@earshot/protocol';

export interface PlatformAction {
  id: string;
  type: SupervisorActionKind;
  callId: string;
  details?: string;
  supervisor: { id: string; name: string };
}

export interface ReceiverStats {
  received: number;
  acted: number;
  duplicates: number;
  refused: Record<'missing' | 'stale' | 'mismatch' | 'replayed' | 'malformed', number>;
}

export interface PlatformReceiverOptions {
  secret: string;
  /** Acts on an action; a throw answers 500 (Earshot retries). */
  onAction: (action: PlatformAction) => void | Promise<void>;
  /** Seconds since the epoch. */
  clock?: () => number;
}

export class PlatformReceiver {
  readonly stats: ReceiverStats = {
    received: 0,
    acted: 0,
    duplicates: 0,
    refused: { missing: 0, stale: 0, mismatch: 0, replayed: 0, malformed: 0 },
  };
  private server: Server | undefined;
  /** Signatures accepted, with when: kept for the replay window. */
  private readonly signatures = new Map<string, number>();
  /** Action ids acted on (the Idempotency-Key). */
  private readonly actedOn = new Set<string>();

  constructor(private readonly options: PlatformReceiverOptions) {}

  private now(): number {
    return this.options.clock?.() ?? Math.floor(Date.now() / 1000);
  }

  /** Listens on 127.0.0.1 (port 0 picks one) and resolves with the webhook URL. */
  async listen(port = 0): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        void this.handle(Buffer.concat(chunks).toString('utf8'), request.headers).then(
          ({ status, body }) => {
            response.writeHead(status, { 'content-type': 'application/json' });
            response.end(JSON.stringify(body));
          },
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    const address = this.server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/actions`;
  }

  async handle(
    body: string,
    headers: Record<string, string | string[] | undefined>,
  ): Promise<{ status: number; body: unknown }> {
    this.stats.received++;
    const now = this.now();
    for (const [signature, at] of this.signatures)
      if (now - at > REPLAY_WINDOW_SECONDS) this.signatures.delete(signature);
    const header = (name: string) => {
      const value = headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const verdict = verifyWebhook(
      this.options.secret,
      {
        signature: header(SIGNATURE_HEADER),
        timestamp: header(TIMESTAMP_HEADER),
        nonce: header(NONCE_HEADER),
      },
      body,
      now,
      new Set(this.signatures.keys()),
    );
    if (!verdict.ok) {
      this.stats.refused[verdict.reason]++;
      return { status: 401, body: { error: verdict.reason } };
    }
    this.signatures.set(verdict.signature, now);
    let action: PlatformAction;
    try {
      action = JSON.parse(body) as PlatformAction;
    } catch {
      this.stats.refused.malformed++;
      return { status: 400, body: { error: 'malformed' } };
    }
    const key = header(IDEMPOTENCY_HEADER) ?? action.id;
    if (this.actedOn.has(key)) {
      this.stats.duplicates++;
      return { status: 200, body: { status: 'duplicate' } };
    }
    try {
      await this.options.onAction(action);
    } catch (error) {
      return { status: 500, body: { error: error instanceof Error ? error.message : 'failed' } };
    }
    this.actedOn.add(key);
    this.stats.acted++;
    return { status: 200, body: { status: 'done' } };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}
