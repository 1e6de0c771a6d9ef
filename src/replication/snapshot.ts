import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Database } from '../keyspace/db.js';
import { cloneValue, type RedisValue } from '../keyspace/values.js';
import type { RdbWriter } from '../rdb/writer.js';
import type { SnapshotHooks } from '../server/server.js';

/**
 * Point-in-time views of the keyspace for full syncs (and BGSAVE), without copying the dataset and
 * without blocking the event loop: the view walks the live dictionaries a slice at a time while the
 * server keeps serving writes, and copy-on-write preserves what the writes would otherwise destroy.
 *
 * How the view stays exact. For every database the snapshot keeps:
 *   - `dict`/`expires`: the Map objects the database had when the snapshot began. A FLUSHDB/FLUSHALL swaps
 *     new Maps into the database (Database.clear), so the old ones become frozen and the snapshot simply
 *     keeps reading them; writes to the new Maps are not ours to care about (identity check below).
 *   - a live iterator over `dict`. V8 Map iterators stay valid under mutation: they skip deleted entries
 *     and visit entries inserted after the iterator was created (at the end of the insertion order).
 *   - `emitted`: the keys already written out. A key the iterator passed is final: later writes to it
 *     need no preservation. It is only consulted on writes, never per key in the walk.
 *   - `rewritten`: emitted keys written again since. A key deleted and re-added moves to the end of the
 *     insertion order and the iterator would visit it a second time: this (small) set is what stops
 *     that duplicate, which a real replica would panic on.
 *   - `preserved`: for keys not emitted yet, their value and TTL as they were at the snapshot's start,
 *     recorded by `beforeWrite` the first time the keyspace is about to change them (deep clone of
 *     collections; strings are immutable and shared), or ABSENT when the key did not exist then.
 * The keyspace calls `beforeWrite(db, key)` before ANY change to a key (value, TTL, deletion, expiry).
 * When the iterator reaches a key it writes the preserved version if there is one (skipping ABSENT
 * ones), else the live one. When the iterator is exhausted, preserved keys it never reached (they were
 * deleted meanwhile) are written too. So every key of the start state is written exactly once, with its
 * start value, and keys created later are never written.
 * Cost: one set entry per key written (a reference to the existing key string, in bounded segments so
 * growth never rehashes a huge table at once) and one clone per key modified before it was written;
 * all freed as soon as the database is done.
 */
export class SnapshotManager implements SnapshotHooks {
  private readonly active = new Set<Snapshot>();

  /** Starts a view of `dbs` as they are now. Call `close()` when done (or abandoned). */
  begin(dbs: readonly Database[]): Snapshot {
    const snap = new Snapshot(dbs, () => this.active.delete(snap));
    this.active.add(snap);
    return snap;
  }

  get inProgress(): number {
    return this.active.size;
  }

  beforeWrite(db: Database, key: string): void {
    if (this.active.size === 0) return;
    for (const snap of this.active) snap.beforeWrite(db, key);
  }
}

const ABSENT = Symbol('absent');

interface Preserved {
  value: RedisValue;
  expireAt: number | undefined;
  /** Written by the walk already (so the leftovers pass skips it). */
  emitted: boolean;
}

/**
 * A set of keys that grows to millions of entries without the long pause of rehashing one huge hash
 * table (V8 copies the whole table when it grows): keys go into segments of bounded size.
 */
class KeySet {
  private static readonly SEGMENT = 1 << 15;
  private readonly segments: Set<string>[] = [new Set()];

  add(key: string): void {
    let last = this.segments[this.segments.length - 1]!;
    if (last.size >= KeySet.SEGMENT) {
      last = new Set();
      this.segments.push(last);
    }
    last.add(key);
  }

  has(key: string): boolean {
    for (let i = this.segments.length - 1; i >= 0; i--) if (this.segments[i]!.has(key)) return true;
    return false;
  }

  clear(): void {
    this.segments.length = 0;
    this.segments.push(new Set());
  }
}

class DbView {
  readonly emitted = new KeySet();
  readonly rewritten = new Set<string>();
  readonly preserved = new Map<string, Preserved | typeof ABSENT>();
  iterator: Iterator<string> | undefined;
  /** Phase: walking the dictionary, then the preserved leftovers, then done. */
  phase: 'dict' | 'leftovers' | 'done' = 'dict';
  leftovers: Iterator<[string, Preserved | typeof ABSENT]> | undefined;
  readonly keysAtStart: number;
  readonly expiresAtStart: number;

  constructor(
    readonly index: number,
    readonly dict: Map<string, RedisValue>,
    readonly expires: Map<string, number>,
  ) {
    this.keysAtStart = dict.size;
    this.expiresAtStart = expires.size;
    if (dict.size === 0) this.phase = 'done';
  }
}

/** One point-in-time view; produce its RDB with `writeSnapshotRdb` (or drive `step` yourself). */
export class Snapshot {
  private readonly views: DbView[];
  private current = 0;
  private closed = false;
  /** Keys written so far. */
  keys = 0;

  constructor(
    dbs: readonly Database[],
    private readonly onClose: () => void,
  ) {
    this.views = dbs.map((db) => new DbView(db.id, db.dict, db.expires));
  }

  get done(): boolean {
    return this.current >= this.views.length;
  }

  /** Total keys the view holds (the sum of the databases' sizes when it began). */
  get totalKeys(): number {
    let n = 0;
    for (const v of this.views) n += v.keysAtStart;
    return n;
  }

  /** Copy-on-write: see the class comment above SnapshotManager. */
  beforeWrite(db: Database, key: string): void {
    const view = this.viewOf(db.dict);
    if (view === undefined || view.phase === 'done') return;
    if (view.preserved.has(key) || view.rewritten.has(key)) return;
    if (view.emitted.has(key)) {
      view.rewritten.add(key);
      return;
    }
    const value = view.dict.get(key);
    view.preserved.set(
      key,
      value === undefined
        ? ABSENT
        : { value: cloneValue(value), expireAt: view.expires.get(key), emitted: false },
    );
  }

  private viewOf(dict: Map<string, RedisValue>): DbView | undefined {
    for (let i = this.current; i < this.views.length; i++)
      if (this.views[i]!.dict === dict) return this.views[i];
    return undefined;
  }

  /**
   * Writes keys to `writer` for about `budgetMs` milliseconds (or until ~`maxBytes` are buffered, or
   * `maxKeys` keys were written). Returns true when every database has been written (the caller then
   * ends the writer).
   */
  step(writer: RdbWriter, budgetMs: number, maxBytes = 1 << 20, maxKeys = Number.POSITIVE_INFINITY): boolean {
    const start = performance.now();
    let n = 0;
    while (this.current < this.views.length) {
      const view = this.views[this.current]!;
      if (view.phase === 'done') {
        this.finishView(view);
        continue;
      }
      if (view.iterator === undefined) {
        view.iterator = view.dict.keys();
        writer.selectDb(view.index, view.keysAtStart, view.expiresAtStart);
      }
      if (view.phase === 'dict') {
        const next = view.iterator.next();
        if (next.done) {
          view.phase = 'leftovers';
          view.leftovers = view.preserved.entries();
          continue;
        }
        const key = next.value;
        if (view.rewritten.size !== 0 && view.rewritten.has(key)) continue;
        const kept = view.preserved.get(key);
        if (kept === ABSENT) continue;
        if (kept !== undefined) {
          if (kept.emitted) continue;
          kept.emitted = true;
          writer.entry(key, kept.value, kept.expireAt);
        } else {
          writer.entry(key, view.dict.get(key)!, view.expires.get(key));
        }
        view.emitted.add(key);
      } else {
        const next = view.leftovers!.next();
        if (next.done) {
          view.phase = 'done';
          continue;
        }
        const [key, kept] = next.value;
        if (kept === ABSENT || kept.emitted) continue;
        kept.emitted = true;
        view.emitted.add(key);
        writer.entry(key, kept.value, kept.expireAt);
      }
      this.keys++;
      if (++n >= maxKeys) return false;
      if ((n & 31) === 0 && (performance.now() - start >= budgetMs || writer.bufferedBytes >= maxBytes)) {
        return false;
      }
    }
    return true;
  }

  private finishView(view: DbView): void {
    // Free the bookkeeping as soon as a database is complete.
    view.emitted.clear();
    view.rewritten.clear();
    view.preserved.clear();
    view.iterator = undefined;
    view.leftovers = undefined;
    this.current++;
  }

  /** Stops tracking writes. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.current = this.views.length;
    this.onClose();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

export interface SnapshotRdbOptions {
  /** Time slice between event-loop turns, in ms. Default 1 (keeps the p99 of other clients low). */
  sliceMs?: number;
}

/**
 * Produces the whole RDB of a snapshot through `writer`, a slice at a time, handing each produced chunk
 * to `emit` (which may return a promise to apply backpressure, e.g. until a socket drains). Ends the
 * writer (EOF + CRC) and closes the snapshot. Rejects if the snapshot was closed meanwhile (aborted).
 */
export async function writeSnapshotRdb(
  snap: Snapshot,
  writer: RdbWriter,
  emit: (chunk: Buffer) => Promise<void> | void,
  options: SnapshotRdbOptions = {},
): Promise<void> {
  const sliceMs = options.sliceMs ?? 1;
  try {
    for (;;) {
      if (snap.isClosed) throw new Error('snapshot aborted');
      const finished = snap.step(writer, sliceMs);
      if (finished) break;
      const chunk = writer.take();
      if (chunk.length > 0) await emit(chunk);
      await nextTurn();
    }
    writer.end();
    await emit(writer.take());
  } finally {
    snap.close();
  }
}
