import type { RedisValue } from '../keyspace/values.js';
import {
  RDB_FIRST_VERSION_WITH_CHECKSUM,
  RDB_HEADER_LENGTH,
  RDB_MAGIC,
  RDB_VERSION,
  RdbOpcode,
  rdbTypeName,
} from './constants.js';
import { Crc64 } from './crc64.js';
import { Cursor, NeedMoreData } from './cursor.js';
import { isLoadableType, readObject } from './decode.js';
import { RdbError } from './errors.js';

/** Receives the contents of an RDB as it is parsed, one complete record at a time. */
export interface RdbSink {
  aux?(key: string, value: string): void;
  selectDb?(db: number): void;
  /** RESIZEDB: a sizing hint for the db just selected. */
  resizeDb?(keys: number, expires: number): void;
  /** FUNCTION2: the source of one function library (kept opaque). */
  functionLibrary?(code: string): void;
  /**
   * One key. Empty collections are skipped (as Redis does) and never reach the sink. Duplicate keys are
   * for the sink to refuse: Redis treats them as a corrupt file.
   */
  entry(db: number, key: string, value: RedisValue, expireAtMs: number | undefined): void;
}

export interface RdbLoadOptions {
  /** SELECTDB indexes must be below this (Redis refuses the file otherwise). Default 16. */
  databases?: number;
  /** Check the CRC-64 trailer (unless it is zero, meaning "not computed"). Default true. */
  verifyChecksum?: boolean;
}

export interface RdbLoadSummary {
  version: number;
  keys: number;
  emptyKeysSkipped: number;
  /** 'verified', 'disabled' (stored CRC was 0), 'skipped' (verifyChecksum false) or 'absent' (version < 5). */
  checksum: 'verified' | 'disabled' | 'skipped' | 'absent';
  /** Length of the RDB itself, header to checksum. */
  bytes: number;
}

type Phase = 'header' | 'body' | 'checksum' | 'done' | 'failed';

const EMPTY = Buffer.alloc(0);
/** Below this many pending bytes, an incomplete record is retried as soon as it might be complete. */
const RETRY_EAGERLY_BELOW = 1 << 20;

/**
 * Parses an RDB that arrives in pieces (a replica receiving a full sync), handing each complete record to
 * the sink as soon as its last byte is in, and keeping only the unparsed tail.
 *
 * A record that is not complete yet is re-parsed from its start once more bytes are in: as soon as the
 * bytes the failed attempt proved necessary are present while the record is small, but for a record
 * already past 1 MiB (a huge string, a million-element list) only once the pending data has also
 * doubled, which keeps the total work linear.
 *
 * Because of that, `done` can stay false after the last byte of a large final record arrived: the caller
 * calls `end()` when the transfer is over (after `<len>` bytes for `$<len>`, or when the received data ends
 * with the 40-byte mark for `$EOF:<mark>`), which parses everything left. The RDB ends with EOF + CRC;
 * whatever follows (the replication stream, or the `$EOF:` mark) is kept aside for `takeTrailing()`.
 */
export class RdbStreamLoader {
  private phase: Phase = 'header';
  private tail: Buffer = EMPTY;
  private chunks: Buffer[] = [];
  private pendingBytes = 0;
  private retryAt = 0;
  /** Absolute stream offset of tail[0]. */
  private consumed = 0;
  private trailing: Buffer[] = [];
  private readonly crc = new Crc64();
  private readonly databases: number;
  private readonly verifyChecksum: boolean;

  private version = 0;
  private db = 0;
  private expireAtMs: number | undefined;
  private keys = 0;
  private emptyKeysSkipped = 0;
  private checksum: RdbLoadSummary['checksum'] = 'absent';

  constructor(
    private readonly sink: RdbSink,
    options: RdbLoadOptions = {},
  ) {
    this.databases = options.databases ?? 16;
    this.verifyChecksum = options.verifyChecksum ?? true;
  }

  /** True once EOF and the checksum have been read. */
  get done(): boolean {
    return this.phase === 'done';
  }

  /** Bytes of the RDB parsed so far. */
  get bytesParsed(): number {
    return this.consumed;
  }

  push(chunk: Buffer): void {
    if (this.phase === 'failed') throw new RdbError('RDB loader already failed');
    if (this.phase === 'done') {
      if (chunk.length > 0) this.trailing.push(chunk);
      return;
    }
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= this.retryAt) this.parse(false);
  }

  /** No more bytes will come: anything short of a complete RDB is an error. */
  end(): RdbLoadSummary {
    if (this.phase === 'failed') throw new RdbError('RDB loader already failed');
    if (this.phase !== 'done') this.parse(true);
    return {
      version: this.version,
      keys: this.keys,
      emptyKeysSkipped: this.emptyKeysSkipped,
      checksum: this.checksum,
      bytes: this.consumed,
    };
  }

  /** Bytes received after the end of the RDB. */
  takeTrailing(): Buffer {
    const out = this.trailing.length === 1 ? this.trailing[0]! : Buffer.concat(this.trailing);
    this.trailing = [];
    return out;
  }

  private gather(): Buffer {
    if (this.tail.length === 0 && this.chunks.length === 1) return this.chunks[0]!;
    return Buffer.concat([this.tail, ...this.chunks]);
  }

  private parse(final: boolean): void {
    const buf = this.gather();
    this.chunks = [];
    const cur = new Cursor(buf, 0, buf.length, this.consumed, final);
    let committed = 0;
    let crcFrom = 0;
    try {
      while (this.phase !== 'done') {
        if (this.phase === 'body') {
          if (this.bodyRecord(cur)) {
            // EOF: the checksum covers everything up to and including the EOF opcode.
            this.crc.update(buf, crcFrom, cur.pos);
            crcFrom = cur.pos;
          }
        } else if (this.phase === 'header') {
          this.header(cur);
        } else {
          this.trailer(cur);
        }
        committed = cur.pos;
      }
      this.retryAt = 0;
    } catch (err) {
      if (!(err instanceof NeedMoreData)) {
        this.phase = 'failed';
        throw err;
      }
      const needed = err.needed - committed;
      const pending = buf.length - committed;
      this.retryAt = pending < RETRY_EAGERLY_BELOW ? needed : Math.max(needed, pending * 2);
    }
    if (this.phase === 'header' || this.phase === 'body') this.crc.update(buf, crcFrom, committed);
    this.consumed += committed;
    if (this.phase === 'done') {
      if (committed < buf.length) this.trailing.push(buf.subarray(committed));
      this.tail = EMPTY;
      this.pendingBytes = 0;
    } else {
      this.tail = buf.subarray(committed);
      this.pendingBytes = this.tail.length;
    }
  }

  private header(cur: Cursor): void {
    cur.require(RDB_HEADER_LENGTH, 'RDB header');
    const magic = cur.buf.latin1Slice(cur.pos, cur.pos + 5);
    const digits = cur.buf.latin1Slice(cur.pos + 5, cur.pos + RDB_HEADER_LENGTH);
    if (magic !== RDB_MAGIC) cur.fail(`wrong signature trying to load DB: ${JSON.stringify(magic)}`);
    const version = /^\d{4}$/.test(digits) ? Number(digits) : Number.NaN;
    if (!(version >= 1 && version <= RDB_VERSION)) {
      cur.fail(`can't handle RDB format version ${JSON.stringify(digits)}`);
    }
    cur.pos += RDB_HEADER_LENGTH;
    this.version = version;
    this.phase = 'body';
  }

  /** Parses one opcode or key; returns true when it was EOF. */
  private bodyRecord(cur: Cursor): boolean {
    const at = cur.pos;
    const type = cur.u8('record type');
    switch (type) {
      case RdbOpcode.ExpireTimeMs:
        this.expireAtMs = cur.int64LE('expire time (ms)');
        return false;
      case RdbOpcode.ExpireTime:
        this.expireAtMs = cur.int32LE('expire time (s)') * 1000;
        return false;
      case RdbOpcode.Idle:
        cur.length('LRU idle time'); // eviction metadata: we do not keep it
        return false;
      case RdbOpcode.Freq:
        cur.u8('LFU frequency');
        return false;
      case RdbOpcode.Aux: {
        const key = cur.string('aux field name');
        const value = cur.string('aux field value');
        this.sink.aux?.(key, value);
        return false;
      }
      case RdbOpcode.ResizeDb: {
        const keys = cur.length('RESIZEDB db size');
        const expires = cur.length('RESIZEDB expires size');
        this.sink.resizeDb?.(keys, expires);
        return false;
      }
      case RdbOpcode.SelectDb: {
        const db = cur.length('SELECTDB index');
        if (db >= this.databases) {
          cur.fail(`RDB selects db ${db} but only ${this.databases} databases are configured`, at);
        }
        this.db = db;
        this.sink.selectDb?.(db);
        return false;
      }
      case RdbOpcode.Function2: {
        const code = cur.string('function library');
        this.sink.functionLibrary?.(code);
        return false;
      }
      case RdbOpcode.FunctionPreGa:
        return cur.fail('RDB contains a function library in the pre-release 7.0 format (opcode 246)', at);
      case RdbOpcode.ModuleAux:
        return cur.fail('RDB contains module auxiliary data (MODULE_AUX): modules are not supported', at);
      case RdbOpcode.Eof:
        this.phase = this.version >= RDB_FIRST_VERSION_WITH_CHECKSUM ? 'checksum' : 'done';
        return true;
      default: {
        if (!isLoadableType(type)) cur.fail(`unsupported RDB type ${type} (${rdbTypeName(type)})`, at);
        const key = cur.string('key');
        const value = readObject(cur, type);
        const expireAtMs = this.expireAtMs;
        this.expireAtMs = undefined;
        if (value === undefined) {
          this.emptyKeysSkipped++;
        } else {
          this.keys++;
          this.sink.entry(this.db, key, value, expireAtMs);
        }
        return false;
      }
    }
  }

  private trailer(cur: Cursor): void {
    cur.require(8, 'CRC-64 checksum');
    const stored = cur.buf.readBigUInt64LE(cur.pos);
    if (stored === 0n) {
      this.checksum = 'disabled';
    } else if (!this.verifyChecksum) {
      this.checksum = 'skipped';
    } else if (this.crc.matchesLE(cur.buf, cur.pos)) {
      this.checksum = 'verified';
    } else {
      const computed = this.crc.digest().toString(16).padStart(16, '0');
      cur.fail(`wrong RDB checksum: computed ${computed}, stored ${stored.toString(16).padStart(16, '0')}`);
    }
    cur.pos += 8;
    this.phase = 'done';
  }
}

/** Parses a complete in-memory RDB. Throws RdbError if it is corrupt, truncated or unsupported. */
export function readRdb(buf: Buffer, sink: RdbSink, options?: RdbLoadOptions): RdbLoadSummary {
  const loader = new RdbStreamLoader(sink, options);
  loader.push(buf);
  return loader.end();
}
