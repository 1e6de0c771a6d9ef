import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ListValue } from '../../src/keyspace/list.js';

/*
 * The ring-buffer deque behind lists, checked against a plain array model: random operation
 * sequences exercise growth, wrap-around of the head, and shrinking after many pops.
 */

type Op =
  | { op: 'pushHead' | 'pushTail'; item: string }
  | { op: 'popHead' | 'popTail' }
  | { op: 'set'; index: number; item: string }
  | { op: 'replaceAll'; items: string[] };

const item = fc.string({ maxLength: 3 });
const operation: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({ op: fc.constantFrom('pushHead' as const, 'pushTail' as const), item }),
    weight: 6,
  },
  { arbitrary: fc.record({ op: fc.constantFrom('popHead' as const, 'popTail' as const) }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('set' as const), index: fc.nat(200), item }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant('replaceAll' as const),
      items: fc.array(item, { maxLength: 20 }),
    }),
    weight: 1,
  },
);

function apply(list: ListValue, model: string[], o: Op): void {
  switch (o.op) {
    case 'pushHead':
      list.pushHead(o.item);
      model.unshift(o.item);
      break;
    case 'pushTail':
      list.pushTail(o.item);
      model.push(o.item);
      break;
    case 'popHead':
      expect(list.popHead()).toBe(model.shift());
      break;
    case 'popTail':
      expect(list.popTail()).toBe(model.pop());
      break;
    case 'set':
      if (model.length > 0) {
        const i = o.index % model.length;
        list.set(i, o.item);
        model[i] = o.item;
      }
      break;
    case 'replaceAll':
      list.replaceAll([...o.items]);
      model.splice(0, model.length, ...o.items);
      break;
  }
}

describe('ListValue', () => {
  it('behaves like an array under random deque operations', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 300 }), (ops) => {
        const list = new ListValue();
        const model: string[] = [];
        for (const o of ops) {
          apply(list, model, o);
          expect(list.length).toBe(model.length);
        }
        expect(list.toArray()).toEqual(model);
        expect([...list]).toEqual(model);
        expect(list.clone().toArray()).toEqual(model);
        if (model.length > 0) {
          expect(list.at(0)).toBe(model[0]);
          expect(list.at(model.length - 1)).toBe(model[model.length - 1]);
          const mid = model.length >> 1;
          expect(list.range(mid, model.length - 1)).toEqual(model.slice(mid));
        }
        expect(list.at(model.length)).toBeUndefined();
        expect(list.at(-1)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('gives memory back after a large list is drained', () => {
    const list = new ListValue();
    for (let i = 0; i < 10_000; i++) list.pushTail(String(i));
    const grown = (list as unknown as { buf: unknown[] }).buf.length;
    for (let i = 0; i < 9_990; i++) list.popHead();
    expect(list.toArray()).toEqual([
      '9990',
      '9991',
      '9992',
      '9993',
      '9994',
      '9995',
      '9996',
      '9997',
      '9998',
      '9999',
    ]);
    expect((list as unknown as { buf: unknown[] }).buf.length).toBeLessThan(grown / 100);
  });
});
