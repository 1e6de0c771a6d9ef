import type { RedisValue } from '../keyspace/values.js';
import { RDB_MAGIC, RDB_VERSION, RdbOpcode } from './constants.js';
import { Crc64 } from './crc64.js';
import { RdbEncoder } from './encode.js';

export interface RdbWriterOptions {
  /** LZF-compress long strings, like Redis's default `rdbcompression yes`. Default true. */
  compress?: boolean;
  /** Initial size of the internal buffer, and of each fresh one after a large `take()`. Default 64 KiB. */
  chunkSize?: number;
  /** AUX fields written right after the header, in order (see `redisAuxFields`). */
  aux?: Iterable<readonly [string, string]>;
}

export interface RedisAuxOptions {
  /** Unix time in seconds; default now. */
  ctime?: number;
  usedMem?: number;
  /** Replication RDBs also carry the master's replication id, offset and current db. */
  replication?: { replId: string; replOffset: number; streamDb: number };
}

/** The version Redis tools and replicas see in `redis-ver`; we are compatible with this release. */
export const REDIS_VERSION_COMPAT = '7.0.15';

/** The AUX fields Redis 7.0 writes, in its order. */
export function redisAuxFields(options: RedisAuxOptions = {}): [string, string][] {
  const fields: [string, string][] = [
    ['redis-ver', REDIS_VERSION_COMPAT],
    ['redis-bits', '64'],
    ['ctime', String(options.ctime ?? Math.floor(Date.now() / 1000))],
    ['used-mem', String(options.usedMem ?? process.memoryUsage().heapUsed)],
  ];
  if (options.replication) {
    fields.push(
      ['repl-stream-db', String(options.replication.streamDb)],
      ['repl-id', options.replication.replId],
      ['repl-offset', String(options.replication.replOffset)],
    );
  }
  fields.push(['aof-base', '0']);
  return fields;
}

/**
 * Writes an RDB (version 10, loadable by Redis 7.0) incrementally: the caller feeds databases and keys one
 * at a time and drains the produced bytes with `take()` whenever convenient (e.g. every few thousand keys,
 * yielding to the event loop in between). The CRC-64 is computed as bytes are taken.
 *
 *   const w = new RdbWriter({ aux: redisAuxFields() });
 *   w.selectDb(0, keys, expires); w.entry(key, value, expireAt); ... w.end();
 *   socket.write(w.take());
 */
export class RdbWriter {
  private readonly enc: RdbEncoder;
  private readonly crc = new Crc64();
  private readonly chunkSize: number;
  /** Bytes of the current buffer already folded into the CRC. */
  private crcPos = 0;
  private ended = false;
  private written = 0;

  constructor(options: RdbWriterOptions = {}) {
    this.chunkSize = options.chunkSize ?? 64 * 1024;
    this.enc = new RdbEncoder(this.chunkSize, options.compress ?? true);
    const header = `${RDB_MAGIC}${String(RDB_VERSION).padStart(4, '0')}`;
    this.enc.ensure(header.length);
    this.enc.pos += this.enc.buf.latin1Write(header, 0);
    for (const [key, value] of options.aux ?? []) this.aux(key, value);
  }

  /** Bytes produced and not yet taken. */
  get bufferedBytes(): number {
    return this.enc.pos;
  }

  /** Total bytes produced so far, taken or not. */
  get totalBytes(): number {
    return this.written + this.enc.pos;
  }

  aux(key: string, value: string): void {
    this.assertOpen();
    this.enc.u8(RdbOpcode.Aux);
    this.enc.string(key);
    this.enc.string(value);
  }

  /** FUNCTION2 record: one function library's source. */
  functionLibrary(code: string): void {
    this.assertOpen();
    this.enc.u8(RdbOpcode.Function2);
    this.enc.string(code);
  }

  /** Starts a database: SELECTDB plus the RESIZEDB sizing hint. Skip databases without keys. */
  selectDb(db: number, keys: number, expires: number): void {
    this.assertOpen();
    this.enc.u8(RdbOpcode.SelectDb);
    this.enc.length(db);
    this.enc.u8(RdbOpcode.ResizeDb);
    this.enc.length(keys);
    this.enc.length(expires);
  }

  /** One key of the current database. Empty collections must not be passed (Redis never stores them). */
  entry(key: string, value: RedisValue, expireAtMs?: number): void {
    this.assertOpen();
    if (expireAtMs !== undefined) {
      this.enc.u8(RdbOpcode.ExpireTimeMs);
      this.enc.int64LE(expireAtMs);
    }
    this.enc.object(value, key);
  }

  /** Writes EOF and the checksum. Everything left is then available to `take()`. */
  end(): void {
    this.assertOpen();
    this.enc.u8(RdbOpcode.Eof);
    this.crc.update(this.enc.buf, this.crcPos, this.enc.pos);
    this.enc.ensure(8);
    this.crc.writeLE(this.enc.buf, this.enc.pos);
    this.enc.pos += 8;
    this.crcPos = this.enc.pos;
    this.ended = true;
  }

  /** The bytes produced since the last call (possibly empty). */
  take(): Buffer {
    const enc = this.enc;
    this.crc.update(enc.buf, this.crcPos, enc.pos);
    this.written += enc.pos;
    this.crcPos = 0;
    // Small results are copied out so the buffer can be reused; large ones are handed over as they are.
    if (enc.pos < enc.buf.length >>> 2) {
      const out = Buffer.from(enc.buf.subarray(0, enc.pos));
      enc.pos = 0;
      return out;
    }
    return enc.detach(this.chunkSize);
  }

  private assertOpen(): void {
    if (this.ended) throw new Error('RdbWriter: already ended');
  }
}

export interface RdbDatabaseContent {
  index: number;
  entries: ReadonlyArray<readonly [key: string, value: RedisValue, expireAtMs?: number]>;
}

/** A whole RDB in one buffer, for small datasets and tests. Databases without entries are skipped. */
export function serializeRdb(
  databases: Iterable<RdbDatabaseContent>,
  options: RdbWriterOptions = {},
): Buffer {
  const writer = new RdbWriter(options);
  const parts: Buffer[] = [];
  for (const db of databases) {
    if (db.entries.length === 0) continue;
    const expires = db.entries.filter((e) => e[2] !== undefined).length;
    writer.selectDb(db.index, db.entries.length, expires);
    for (const [key, value, expireAtMs] of db.entries) writer.entry(key, value, expireAtMs);
    if (writer.bufferedBytes > 1 << 20) parts.push(writer.take());
  }
  writer.end();
  parts.push(writer.take());
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
