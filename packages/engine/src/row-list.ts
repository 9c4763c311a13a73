// An immutable list that shares its storage between versions, for the lists a call grows by a
// few rows per event for hours. Copying a plain array per batch to keep the engine pure costs
// O(rows) and turns into garbage-collector pauses on long calls; here a push or a replace
// copies one leaf of LEAF rows and the short array of leaves (about 1 KB at 5,000 rows).
const LEAF = 64;

export class RowList<T> implements Iterable<T> {
  private constructor(
    private readonly leaves: ReadonlyArray<readonly T[]>,
    readonly length: number,
  ) {}

  static empty<T>(): RowList<T> {
    return new RowList<T>([], 0);
  }

  static from<T>(items: Iterable<T>): RowList<T> {
    const all = [...items];
    const leaves: T[][] = [];
    for (let i = 0; i < all.length; i += LEAF) leaves.push(all.slice(i, i + LEAF));
    return new RowList(leaves, all.length);
  }

  at(index: number): T | undefined {
    const i = index < 0 ? this.length + index : index;
    if (i < 0 || i >= this.length) return undefined;
    return this.leaves[Math.floor(i / LEAF)]![i % LEAF];
  }

  push(item: T): RowList<T> {
    const leaves = [...this.leaves];
    const last = leaves.at(-1);
    if (last === undefined || last.length === LEAF) leaves.push([item]);
    else leaves[leaves.length - 1] = [...last, item];
    return new RowList(leaves, this.length + 1);
  }

  /** A copy with the row at `index` (0 ≤ index < length) replaced. */
  set(index: number, item: T): RowList<T> {
    if (index < 0 || index >= this.length) throw new RangeError(`No row ${index}`);
    const leaves = [...this.leaves];
    const leaf = [...leaves[Math.floor(index / LEAF)]!];
    leaf[index % LEAF] = item;
    leaves[Math.floor(index / LEAF)] = leaf;
    return new RowList(leaves, this.length);
  }

  /** The last `count` rows, oldest first. */
  tail(count: number): T[] {
    const rows: T[] = [];
    for (let i = Math.max(0, this.length - count); i < this.length; i++) rows.push(this.at(i)!);
    return rows;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (const leaf of this.leaves) yield* leaf;
  }

  toArray(): T[] {
    const rows = new Array<T>(this.length);
    let i = 0;
    for (const leaf of this.leaves) for (const row of leaf) rows[i++] = row;
    return rows;
  }
}
