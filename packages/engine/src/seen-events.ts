// The body hash of every event a call has accepted, by seq: how a replay (same seq, same
// body) is told from a conflict (same seq, another body). A call at 10 events a second
// accepts 36,000 an hour, and each is remembered for the call's life and the retention hour
// after it. As a Map of hex strings that cost about 140 bytes an event on the JavaScript heap
// (the 16-character hash kept its 64-character parent alive), every one an object for the
// garbage collector to copy and mark. Here a hash is 8 bytes in typed arrays, outside the
// heap, indexed by seq: pipelines number a call's events from 1 (protocol: `seq`).

const HEX16 = /^[0-9a-f]{16}$/;
/** Dense storage grows to cover a seq only while it stays within this many slots per hash (plus a start). */
const SLOTS_PER_HASH = 4;
const FIRST_SLOTS = 4096;

function hex8(value: number): string {
  return value.toString(16).padStart(8, '0');
}

export class SeenEvents {
  private high = new Uint32Array(0);
  private low = new Uint32Array(0);
  /** 1 where the dense arrays hold a seq's hash (a hash may be all zeros). */
  private held = new Uint8Array(0);
  /**
   * Seqs the dense arrays do not cover (a pipeline numbering its events sparsely, by
   * timestamp say, would otherwise make them huge), and hashes that are not 16 hex digits.
   */
  private readonly others = new Map<number, string>();
  private count = 0;

  /** Events remembered. */
  get size(): number {
    return this.count;
  }

  has(seq: number): boolean {
    return (seq < this.held.length && this.held[seq] === 1) || this.others.has(seq);
  }

  /** The hash accepted under `seq`, or undefined if none was. */
  get(seq: number): string | undefined {
    if (seq < this.held.length && this.held[seq] === 1)
      return hex8(this.high[seq]!) + hex8(this.low[seq]!);
    return this.others.get(seq);
  }

  set(seq: number, hash: string): this {
    if (!this.has(seq)) this.count++;
    if (HEX16.test(hash) && this.covers(seq)) {
      this.high[seq] = Number.parseInt(hash.slice(0, 8), 16);
      this.low[seq] = Number.parseInt(hash.slice(8), 16);
      this.held[seq] = 1;
      this.others.delete(seq);
    } else {
      if (seq < this.held.length) this.held[seq] = 0;
      this.others.set(seq, hash);
    }
    return this;
  }

  /** A copy that later changes to either do not reach. */
  clone(): SeenEvents {
    const copy = new SeenEvents();
    copy.high = this.high.slice();
    copy.low = this.low.slice();
    copy.held = this.held.slice();
    for (const [seq, hash] of this.others) copy.others.set(seq, hash);
    copy.count = this.count;
    return copy;
  }

  /** Whether the dense arrays cover `seq`, growing them (by doubling) if that stays compact. */
  private covers(seq: number): boolean {
    if (seq < this.held.length) return true;
    if (seq >= SLOTS_PER_HASH * this.count + FIRST_SLOTS) return false;
    const length = Math.max(seq + 1, 2 * this.held.length, 64);
    const grow = <T extends Uint32Array | Uint8Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.high = grow(this.high, new Uint32Array(length));
    this.low = grow(this.low, new Uint32Array(length));
    this.held = grow(this.held, new Uint8Array(length));
    return true;
  }
}
