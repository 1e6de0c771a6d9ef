import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LexBound, type LexRange, type ScoreRange, SortedSetValue } from '../../src/keyspace/zset.js';

/** The reference model: a plain array kept sorted by (score, member) after every change. */
class NaiveZset {
  items: [string, number][] = [];
  add(m: string, s: number): void {
    const i = this.items.findIndex(([x]) => x === m);
    if (i >= 0) {
      if (this.items[i]![1] === s) return;
      this.items.splice(i, 1);
    }
    this.items.push([m, s]);
    this.items.sort((a, b) => (a[1] !== b[1] ? a[1] - b[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
  remove(m: string): boolean {
    const i = this.items.findIndex(([x]) => x === m);
    if (i >= 0) this.items.splice(i, 1);
    return i >= 0;
  }
}

const member = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '\x00', '\xff', 'z'), maxLength: 3 });
const score = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 0.5, -0),
);
const op = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('add' as const), member, score }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), member }) },
);
const scoreRange: fc.Arbitrary<ScoreRange> = fc.record({
  min: score,
  max: score,
  minExclusive: fc.boolean(),
  maxExclusive: fc.boolean(),
});
const lexBound: fc.Arbitrary<LexBound> = fc.oneof(
  fc.record({
    inf: fc.constantFrom(-1 as const, 1 as const),
    value: fc.constant(''),
    exclusive: fc.constant(true),
  }),
  fc.record({ inf: fc.constant(0 as const), value: member, exclusive: fc.boolean() }),
);
const lexRange: fc.Arbitrary<LexRange> = fc.record({ min: lexBound, max: lexBound });

function inScore(s: number, r: ScoreRange): boolean {
  return (r.minExclusive ? s > r.min : s >= r.min) && (r.maxExclusive ? s < r.max : s <= r.max);
}
function inLex(m: string, r: LexRange): boolean {
  const above =
    r.min.inf === -1 ? true : r.min.inf === 1 ? false : r.min.exclusive ? m > r.min.value : m >= r.min.value;
  const below =
    r.max.inf === 1 ? true : r.max.inf === -1 ? false : r.max.exclusive ? m < r.max.value : m <= r.max.value;
  return above && below;
}

function build(ops: { kind: 'add' | 'remove'; member: string; score?: number }[]) {
  const z = new SortedSetValue();
  const model = new NaiveZset();
  for (const o of ops) {
    if (o.kind === 'add') {
      const isNew = !model.items.some(([m]) => m === o.member);
      expect(z.add(o.member, o.score!)).toBe(isNew);
      model.add(o.member, o.score!);
    } else {
      expect(z.remove(o.member)).toBe(model.remove(o.member));
    }
  }
  return { z, model };
}

describe('SortedSetValue skiplist vs a sorted-array model', () => {
  it('keeps order, size, scores, ranks and nodes-at-rank after random inserts/updates/deletes', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const { z, model } = build(ops);
        expect([...z.entries()]).toEqual(model.items);
        expect(z.size).toBe(model.items.length);
        model.items.forEach(([m, s], i) => {
          expect(z.score(m)).toBe(s);
          expect(z.rank(m)).toBe(i);
          const node = z.nodeAt(i)!;
          expect([node.member, node.score]).toEqual([m, s]);
        });
        expect(z.nodeAt(model.items.length)).toBeNull();
        expect(z.rank('not-a-member')).toBeUndefined();
        // Backward links mirror the forward order.
        const backwards: string[] = [];
        for (let x = z.tail; x !== null; x = x.backward) backwards.push(x.member);
        expect(backwards).toEqual(model.items.map(([m]) => m).reverse());
      }),
      { numRuns: 300 },
    );
  });

  it('finds the first/last element and the count of a score range, exclusive bounds included', () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 120 }),
        fc.array(scoreRange, { minLength: 1, maxLength: 10 }),
        (ops, ranges) => {
          const { z, model } = build(ops);
          for (const r of ranges) {
            const inside = model.items.filter(([, s]) => inScore(s, r));
            expect(z.firstInScoreRange(r)?.member).toBe(inside[0]?.[0]);
            expect(z.lastInScoreRange(r)?.member).toBe(inside.at(-1)?.[0]);
            expect(z.countInScoreRange(r)).toBe(inside.length);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('finds lex ranges when all scores are equal', () => {
    fc.assert(
      fc.property(
        fc.array(member, { maxLength: 80 }),
        fc.array(lexRange, { minLength: 1, maxLength: 10 }),
        (members, ranges) => {
          const z = new SortedSetValue();
          for (const m of members) z.add(m, 0);
          const sorted = [...new Set(members)].sort();
          for (const r of ranges) {
            const inside = sorted.filter((m) => inLex(m, r));
            expect(z.firstInLexRange(r)?.member).toBe(inside[0]);
            expect(z.lastInLexRange(r)?.member).toBe(inside.at(-1));
            expect(z.countInLexRange(r)).toBe(inside.length);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('clones deeply', () => {
    const z = new SortedSetValue();
    z.add('a', 1);
    z.add('b', 2);
    const copy = z.clone();
    copy.add('c', 0);
    copy.remove('a');
    expect([...z.entries()]).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect([...copy.entries()]).toEqual([
      ['c', 0],
      ['b', 2],
    ]);
  });

  it('stays O(log n): 100k inserts and 30k rank+nodeAt lookups within generous time bounds', () => {
    const z = new SortedSetValue();
    const n = 100_000;
    let t = performance.now();
    for (let i = 0; i < n; i++) z.add(`m${i}`, (i * 7919) % n);
    const insertMs = performance.now() - t;
    t = performance.now();
    let sum = 0;
    for (let i = 0; i < n; i += 7) sum += z.rank(`m${i}`)! + (z.nodeAt(i)?.score ?? 0);
    const lookupMs = performance.now() - t;
    expect(sum).toBeGreaterThan(0);
    expect(z.rank('m0')).toBe(0);
    expect(insertMs).toBeLessThan(3000);
    expect(lookupMs).toBeLessThan(2000);
  });
});
