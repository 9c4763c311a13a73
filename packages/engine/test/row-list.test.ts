// The engine's shared-storage list: every version stays as it was.
import { describe, expect, it } from 'vitest';
import { RowList } from '../src/row-list.ts';

describe('RowList', () => {
  it('pushes and replaces without changing earlier versions, across many leaves', () => {
    const versions: Array<RowList<number>> = [RowList.empty()];
    for (let i = 0; i < 300; i++) versions.push(versions.at(-1)!.push(i));
    versions.forEach((list, length) => {
      expect(list.length).toBe(length);
      expect(list.toArray()).toEqual(Array.from({ length }, (_, i) => i));
    });
    const full = versions.at(-1)!;
    const changed = full.set(150, -1).set(0, -2).set(299, -3);
    expect(changed.at(150)).toBe(-1);
    expect(changed.at(0)).toBe(-2);
    expect(changed.at(-1)).toBe(-3);
    expect(full.at(150)).toBe(150);
    expect([...full]).toEqual(full.toArray());
  });

  it('gives undefined outside its rows and refuses to replace one it does not have', () => {
    const list = RowList.from(['a', 'b']);
    expect(list.at(2)).toBeUndefined();
    expect(list.at(-3)).toBeUndefined();
    expect(list.tail(5)).toEqual(['a', 'b']);
    expect(list.tail(1)).toEqual(['b']);
    expect(() => list.set(2, 'c')).toThrow(RangeError);
  });
});
