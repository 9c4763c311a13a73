// The bus between ingest and the WebSocket sessions. In-process by default; scaling out swaps
// in an implementation over a distributed broker (NATS JetStream or Redis) and nothing else.
import type { WallboardEntry } from '@earshot/engine';
import type { CallChange, CallSnapshot } from '@earshot/protocol';

/** Everything one committed-or-committing change of a call means to subscribers. */
export interface CallUpdate {
  callId: string;
  /** Changed documents of the seed's ten tables, whole. */
  changes: CallChange[];
  /** `changes` as JSON, when the publisher has made it already (the engine thread does). */
  json?: string[];
  /** The call's wallboard row after the change. */
  entry: WallboardEntry;
  /** The call's live rows were deleted (retention): it leaves every view. */
  removed?: boolean;
  /**
   * The call was put back to what the store holds, because the database refused one of its
   * writes: its whole state now. Its subscribers are told to resync and get it as a snapshot.
   */
  reset?: CallSnapshot;
}

export interface RealtimeBus {
  publish(update: CallUpdate): void;
  /** Returns an unsubscribe function. */
  subscribe(handler: (update: CallUpdate) => void): () => void;
}

/** Delivers synchronously, in publish order: a snapshot taken between two publishes is exact. */
export class InProcessBus implements RealtimeBus {
  private readonly handlers = new Set<(update: CallUpdate) => void>();

  publish(update: CallUpdate): void {
    for (const handler of this.handlers) handler(update);
  }

  subscribe(handler: (update: CallUpdate) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
}
