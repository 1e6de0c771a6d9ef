/*
 * Per-key access data for the LRU and LFU eviction policies.
 *
 * Redis keeps 24 bits of access data inside every object header. Our string values are bare JS strings
 * (a wrapper object would cost ~40 bytes per key, see keyspace/memory.ts), so the data lives in a side
 * Map key→small integer that exists only while an LRU or LFU policy is selected: with the default
 * noeviction policy the keyspace's hot path pays one `undefined` check and no memory. The integers stay
 * within V8's small-integer range, so an entry costs only its table slot (~28-56 bytes).
 *
 * A key missing from the Map (written before the policy was selected) counts as last accessed when
 * tracking started, with LFU's initial counter, which is what "switching between policies at runtime
 * takes some time to adjust" means in Redis too.
 */

/** Redis's LFU_INIT_VAL: new keys start with a small counter so they are not evicted at once. */
export const LFU_INIT_VAL = 5;

export type AccessMode = 'lru' | 'lfu';

export class AccessTracker {
  /** LRU: seconds since `epochMs` of the last access. LFU: (minutes & 0xffff) << 8 | log counter. */
  private readonly data = new Map<string, number>();
  private logFactor = 10;
  private decayMinutes = 1;

  constructor(
    readonly mode: AccessMode,
    /** When tracking started: the access time of keys not in the Map. */
    private readonly epochMs: number,
  ) {}

  setLfuParams(logFactor: number, decayMinutes: number): void {
    this.logFactor = logFactor;
    this.decayMinutes = decayMinutes;
  }

  get size(): number {
    return this.data.size;
  }

  /** A key was read or written (Redis's updateLRU / updateLFU on lookup). */
  touch(key: string, nowMs: number): void {
    if (this.mode === 'lru') {
      this.data.set(key, this.seconds(nowMs));
      return;
    }
    const counter = logIncrement(this.decayedCounter(this.data.get(key), nowMs), this.logFactor);
    this.data.set(key, (minutes(nowMs) << 8) | counter);
  }

  /** A key was created: LRU now, or LFU's initial counter (Redis's createObject). */
  created(key: string, nowMs: number): void {
    this.data.set(key, this.mode === 'lru' ? this.seconds(nowMs) : (minutes(nowMs) << 8) | LFU_INIT_VAL);
  }

  forget(key: string): void {
    this.data.delete(key);
  }

  /**
   * RESTORE ... IDLETIME / FREQ (Redis's objectSetLRUOrLFU): only the figure matching the policy's mode
   * is applied; the other is ignored.
   */
  restore(key: string, nowMs: number, idleSeconds: number | undefined, freq: number | undefined): void {
    if (this.mode === 'lru' && idleSeconds !== undefined) {
      this.data.set(key, this.seconds(nowMs - idleSeconds * 1000));
    } else if (this.mode === 'lfu' && freq !== undefined) {
      this.data.set(key, (minutes(nowMs) << 8) | freq);
    }
  }

  clear(): void {
    this.data.clear();
  }

  /** Milliseconds since the key's last access, at Redis's 1 s LRU clock resolution. */
  idleMs(key: string, nowMs: number): number {
    const last = this.data.get(key);
    const lastMs = this.mode === 'lru' && last !== undefined ? this.epochMs + last * 1000 : this.epochMs;
    return Math.max(0, nowMs - lastMs);
  }

  /** The LFU counter after decay (Redis's LFUDecrAndReturn), 0..255. */
  frequency(key: string, nowMs: number): number {
    return this.decayedCounter(this.data.get(key), nowMs);
  }

  private seconds(nowMs: number): number {
    return Math.floor((nowMs - this.epochMs) / 1000);
  }

  private decayedCounter(word: number | undefined, nowMs: number): number {
    const now = minutes(nowMs);
    const last = word === undefined ? minutes(this.epochMs) : word >>> 8;
    const counter = word === undefined ? LFU_INIT_VAL : word & 0xff;
    if (this.decayMinutes === 0) return counter;
    // The 16-bit minute clock wraps every ~45 days, as in Redis.
    const elapsed = now >= last ? now - last : 65535 - last + now;
    const periods = Math.floor(elapsed / this.decayMinutes);
    return periods > counter ? 0 : counter - periods;
  }
}

/** Redis's LFUGetTimeInMinutes: a 16-bit minute clock. */
function minutes(nowMs: number): number {
  return Math.floor(nowMs / 60000) & 0xffff;
}

/**
 * Redis's LFULogIncr: the counter grows logarithmically, so 255 stands for about a million accesses
 * with the default lfu-log-factor of 10.
 */
function logIncrement(counter: number, logFactor: number): number {
  if (counter === 255) return 255;
  const base = Math.max(0, counter - LFU_INIT_VAL);
  const p = 1 / (base * logFactor + 1);
  return Math.random() < p ? counter + 1 : counter;
}
