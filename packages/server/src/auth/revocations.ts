// Revoked credentials, announced as they happen: the realtime transport closes the sockets
// opened with them at once, rather than at the next heartbeat's re-check.
import { EventEmitter } from 'node:events';

export class Revocations {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  /** A key or session (by id) stopped working. */
  revoke(credentialId: string): void {
    this.emitter.emit('revoked', credentialId);
  }

  onRevoke(listener: (credentialId: string) => void): () => void {
    this.emitter.on('revoked', listener);
    return () => this.emitter.off('revoked', listener);
  }
}
