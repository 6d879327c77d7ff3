import { describe, expect, it } from 'vitest';
import { GroupIndex, SortedView } from '../../../server/api/sortedView.js';
import { seededRandom } from '../../harness/seededRandom.js';

describe('SortedView', () => {
  it('sorts once while the listing is unchanged and re-sorts after any put, insert or delete', () => {
    let keyed = 0;
    const view = new SortedView<{ k: number }, number>(
      (x) => {
        keyed += 1;
        return x.k;
      },
      (a, b) => a - b,
    );
    const a = { k: 3 };
    const b = { k: 1 };
    const c = { k: 2 };
    expect(view.of([a, b, c]).map((x) => x.k)).toEqual([1, 2, 3]);
    expect(view.of([a, b, c]).map((x) => x.k)).toEqual([1, 2, 3]);
    expect(keyed).toBe(3);
    // A changed record is a new object at the same position: only it is keyed and placed.
    expect(view.of([a, { k: 0 }, c]).map((x) => x.k)).toEqual([0, 2, 3]);
    expect(keyed).toBe(4);
    expect(view.of([a, c]).map((x) => x.k)).toEqual([2, 3]);
    expect(view.of([a, c, { k: 9 }]).map((x) => x.k)).toEqual([2, 3, 9]);
    expect(keyed).toBe(5);
  });

  it('after random puts, inserts and deletes gives exactly what a plain sort of the listing gives', () => {
    const random = seededRandom(19);
    type Rec = { id: string; d: number };
    const order = (x: Rec, y: Rec) => x.d - y.d || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
    const view = new SortedView<Rec, Rec>((r) => r, order);
    const records = new Map<string, Rec>();
    let nextId = 0;
    for (let i = 0; i < 2000; i++) {
      const id = `r${nextId++}`;
      records.set(id, { id, d: Math.floor(random() * 500) });
    }
    for (let round = 0; round < 60; round++) {
      const ids = [...records.keys()];
      const changes = 1 + Math.floor(random() * (round % 10 === 0 ? 1500 : 20));
      for (let i = 0; i < changes; i++) {
        const pick = ids[Math.floor(random() * ids.length)]!;
        const what = random();
        if (what < 0.6) records.set(pick, { id: pick, d: Math.floor(random() * 500) });
        else if (what < 0.8) records.delete(pick);
        else {
          const id = `r${nextId++}`;
          records.set(id, { id, d: Math.floor(random() * 500) });
        }
      }
      const listing = [...records.values()];
      expect(view.of(listing)).toEqual([...listing].sort(order));
    }
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
