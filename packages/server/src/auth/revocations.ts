// Revoked credentials, announced as they happen: the sockets opened with them close at once,
// and the key store forgets what it had read of them, rather than waiting for the next
// heartbeat's re-check or the key cache's age. A revocation made here is also handed to the
// relays (the PostgreSQL channel, revocation-channel.ts), which carry it to every other
// Earshot process on the database; one received from there is announced here only.
import { EventEmitter } from 'node:events';

/**
 * What a listener hears: a key or session id that stopped working, or `undefined` when some
 * revocations may have gone unheard (the channel to other processes was down for a while).
 */
export type RevocationListener = (credentialId: string | undefined) => void;

export class Revocations {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly relays = new Set<(credentialId: string) => void>();

  /** A key or session (by id) stopped working here: announced here and to other processes. */
  revoke(credentialId: string): void {
    this.emitter.emit('revoked', credentialId);
    for (const relay of this.relays) relay(credentialId);
  }

  /** A revocation another process made: announced here only. */
  received(credentialId: string): void {
    this.emitter.emit('revoked', credentialId);
  }

  /** Revocations may have been missed: whatever was read of any credential is suspect. */
  missed(): void {
    this.emitter.emit('revoked', undefined);
  }

  onRevoke(listener: RevocationListener): () => void {
    this.emitter.on('revoked', listener);
    return () => this.emitter.off('revoked', listener);
  }

  /** Hands every revocation made here to `relay` too; returns a function that stops it. */
  relayTo(relay: (credentialId: string) => void): () => void {
    this.relays.add(relay);
    return () => this.relays.delete(relay);
  }
}
