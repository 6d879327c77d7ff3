import { describe, expect, it } from 'vitest';
import { GroupIndex, SortedView } from '../../../server/api/sortedView.js';

describe('SortedView', () => {
  it('sorts once while the listing is unchanged and re-sorts after any put, insert or delete', () => {
    let sorts = 0;
    const view = new SortedView<{ k: number }>((all) => {
      sorts += 1;
      return [...all].sort((a, b) => a.k - b.k);
    });
    const a = { k: 3 };
    const b = { k: 1 };
    const c = { k: 2 };
    expect(view.of([a, b, c]).map((x) => x.k)).toEqual([1, 2, 3]);
    expect(view.of([a, b, c]).map((x) => x.k)).toEqual([1, 2, 3]);
    expect(sorts).toBe(1);
    // A changed record is a new object at the same position.
    expect(view.of([a, { k: 0 }, c]).map((x) => x.k)).toEqual([0, 2, 3]);
    expect(view.of([a, c]).map((x) => x.k)).toEqual([2, 3]);
    expect(view.of([a, c, { k: 9 }]).map((x) => x.k)).toEqual([2, 3, 9]);
    expect(sorts).toBe(4);
  });

  it('groups a sorted list by key keeping the order, rebuilt only for a new list', () => {
    const index = new GroupIndex<{ c: string; n: number }>((x) => x.c);
    const list = [
      { c: 'a', n: 1 },
      { c: 'b', n: 2 },
      { c: 'a', n: 3 },
    ];
    const groups = index.of(list);
    expect(groups.get('a')!.map((x) => x.n)).toEqual([1, 3]);
    expect(groups.get('b')!.map((x) => x.n)).toEqual([2]);
    expect(index.of(list)).toBe(groups);
    expect(index.of([{ c: 'b', n: 9 }]).get('a')).toBeUndefined();
  });
});
