/**
 * Measures what V8 (Node 24) really spends per keyspace structure, to calibrate the memory estimate in
 * src/keyspace/memory.ts. Run: `node --expose-gc bench/overhead.ts`. Each figure is the heapUsed
 * difference (after full GCs) of building N items, divided by N; hash tables are measured at several
 * sizes because V8 grows them by doubling, so the per-entry cost oscillates between 1x and 2x.
 */
declare const gc: () => void;

const N = 1_000_000;

/** Strings as the request parser makes them: sliced out of a Buffer, so flat sequential one-byte strings. */
function makeStrings(prefix: string, n: number): string[] {
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const b = Buffer.from(`${prefix}${i}`, 'latin1');
    out[i] = b.latin1Slice(0, b.length);
  }
  return out;
}

function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function measure(label: string, n: number, build: () => unknown): number {
  const before = heap();
  const kept = build();
  const after = heap();
  const per = (after - before) / n;
  console.log(`${label.padEnd(52)} ${per.toFixed(1).padStart(7)} bytes/item`);
  (globalThis as { keep?: unknown }).keep = kept;
  (globalThis as { keep?: unknown }).keep = undefined;
  return per;
}

// An array of N pointers costs 8 bytes per slot; subtract it when measuring things held in an array.
measure('array slot (holey array of undefined)', N, () => new Array(N).fill(0));
for (const len of [1, 8, 9, 16, 24, 100]) {
  const fill = 'x'.repeat(len);
  measure(`one-byte string len ${len} (incl. 8B array slot)`, N, () => {
    const a = new Array(N);
    for (let i = 0; i < N; i++) {
      const b = Buffer.from(fill, 'latin1');
      a[i] = b.latin1Slice(0, len);
    }
    return a;
  });
}
measure('heap number (double, incl. 8B array slot)', N, () => {
  const a = new Array(N);
  for (let i = 0; i < N; i++) a[i] = i + 0.5;
  return a;
});
for (const n of [N, 700_000, 550_000]) {
  const keys = makeStrings('k', n);
  measure(`Map<string, Smi> entry, n=${n}`, n, () => {
    const m = new Map<string, number>();
    for (let i = 0; i < n; i++) m.set(keys[i]!, i);
    return m;
  });
  measure(`Set<string> entry, n=${n}`, n, () => {
    const s = new Set<string>();
    for (let i = 0; i < n; i++) s.add(keys[i]!);
    return s;
  });
}
const keys = makeStrings('key:', N);
const values = makeStrings('value:', N);
measure('whole key: Map entry + "key:N" + "value:N"', N, () => {
  const m = new Map<string, string>();
  for (let i = 0; i < N; i++) {
    const k = Buffer.from(keys[i]!, 'latin1');
    const v = Buffer.from(values[i]!, 'latin1');
    m.set(k.latin1Slice(0, k.length), v.latin1Slice(0, v.length));
  }
  return m;
});
// Small collections: the fixed cost of an empty Map/Set subclass instance with an `lru` field.
class HashLike extends Map<string, string> {
  lru = 0;
  memBytes = 0;
}
class SetLike extends Set<string> {
  lru = 0;
  memBytes = 0;
}
const SMALL = 100_000;
measure('empty Map subclass (2 fields)', SMALL, () => Array.from({ length: SMALL }, () => new HashLike()));
measure('empty Set subclass (2 fields)', SMALL, () => Array.from({ length: SMALL }, () => new SetLike()));
measure('Map subclass with 4 entries (entries only)', SMALL, () =>
  Array.from({ length: SMALL }, () => {
    const h = new HashLike();
    for (let i = 0; i < 4; i++) h.set(`f${i}`, 'v');
    return h;
  }),
);
measure('object with 4 fields + 8-slot array', SMALL, () =>
  Array.from({ length: SMALL }, () => ({ lru: 0, memBytes: 0, head: 0, count: 0, buf: new Array(8) })),
);
