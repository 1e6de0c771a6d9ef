import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Database } from '../keyspace/db.js';
import { accountValue, EXPIRE_ENTRY_BYTES, keyBytes } from '../keyspace/memory.js';
import type { RedisValue } from '../keyspace/values.js';
import { RdbError, type RdbLoadSummary, readRdb } from '../rdb/index.js';
import type { RdbWriter } from '../rdb/writer.js';

/**
 * RDB files on disk: atomic writes (a temp file in the same directory, fsync, rename, fsync of the
 * directory, so a crash at any point leaves either the old file or the new one, never half of one) and
 * loading a whole file into fresh dictionaries that replace the keyspace only once everything parsed.
 */

/** A failed save, with the message Redis would log. */
export class RdbSaveError extends Error {
  override readonly name = 'RdbSaveError';
}

/** Where a save writes before the rename: `temp-<pid>.rdb` (foreground) or `temp-bgsave-<pid>.rdb`. */
export function tempRdbPath(target: string, background: boolean): string {
  return join(dirname(target), `${background ? 'temp-bgsave' : 'temp'}-${process.pid}.rdb`);
}

function describeTemp(temp: string): string {
  return `${basename(temp)} (in server root dir ${dirname(temp)})`;
}

/** Makes a rename durable: the directory entry itself must reach the disk. */
function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/**
 * Writes `target` atomically and synchronously (SAVE, shutdown, DEBUG RELOAD): `produce` pushes the
 * bytes through `write`. Throws RdbSaveError; the previous file is untouched on any failure.
 */
export function writeFileAtomicSync(target: string, produce: (write: (chunk: Buffer) => void) => void): void {
  const temp = tempRdbPath(target, false);
  let fd: number;
  try {
    fd = openSync(temp, 'w');
  } catch (err) {
    throw new RdbSaveError(
      `Failed opening the temp RDB file ${describeTemp(temp)} for saving: ${(err as Error).message}`,
    );
  }
  try {
    produce((chunk) => {
      for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
    });
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    removeQuietly(temp);
    throw new RdbSaveError(`Write error saving DB on disk: ${(err as Error).message}`);
  }
  closeSync(fd);
  try {
    renameSync(temp, target);
  } catch (err) {
    removeQuietly(temp);
    throw new RdbSaveError(
      `Error moving temp DB file ${basename(temp)} on the final destination ${basename(target)} (in server root dir ${dirname(target)}): ${(err as Error).message}`,
    );
  }
  fsyncDirSync(dirname(target));
}

/**
 * The asynchronous twin of writeFileAtomicSync (BGSAVE): `produce` awaits `write` for each chunk, so the
 * file absorbs the data at its own pace while the event loop keeps serving clients.
 */
export async function writeFileAtomic(
  target: string,
  produce: (write: (chunk: Buffer) => Promise<void>) => Promise<void>,
): Promise<void> {
  const temp = tempRdbPath(target, true);
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(temp, 'w');
  } catch (err) {
    throw new RdbSaveError(
      `Failed opening the temp RDB file ${describeTemp(temp)} for saving: ${(err as Error).message}`,
    );
  }
  try {
    await produce(async (chunk) => {
      for (let off = 0; off < chunk.length; ) {
        const { bytesWritten } = await file.write(chunk, off, chunk.length - off);
        off += bytesWritten;
      }
    });
    await file.sync();
  } catch (err) {
    await file.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw new RdbSaveError(`Write error saving DB on disk: ${(err as Error).message}`);
  }
  await file.close();
  try {
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw new RdbSaveError(
      `Error moving temp DB file ${basename(temp)} on the final destination ${basename(target)} (in server root dir ${dirname(target)}): ${(err as Error).message}`,
    );
  }
  fsyncDirSync(dirname(target));
}

/**
 * Serializes the databases as they are now, in one go (the foreground save: the caller holds the event
 * loop, so no copy-on-write is needed). Chunks of about 1 MiB go to `write`.
 */
export function writeKeyspace(
  writer: RdbWriter,
  dbs: readonly Database[],
  write: (chunk: Buffer) => void,
): number {
  let keys = 0;
  for (const db of dbs) {
    if (db.dict.size === 0) continue;
    writer.selectDb(db.id, db.dict.size, db.expires.size);
    for (const [key, value] of db.dict) {
      writer.entry(key, value, db.expires.get(key));
      keys++;
      if (writer.bufferedBytes >= 1 << 20) write(writer.take());
    }
  }
  writer.end();
  write(writer.take());
  return keys;
}

/** An RDB parsed into fresh dictionaries, not yet visible to clients. */
export interface LoadedDataset {
  dicts: Map<string, RedisValue>[];
  expires: Map<string, number>[];
  /** Estimated bytes per database, for the memory accounting (Database.usedBytes). */
  usedBytes: number[];
  aux: Map<string, string>;
  keysLoaded: number;
  /** Keys dropped because their TTL had passed (masters only). */
  keysExpired: number;
  summary: RdbLoadSummary;
}

export interface DatasetLoadOptions {
  databases: number;
  /** Keys whose expire time is before this are dropped; undefined keeps them (a replica waits for the DEL). */
  dropExpiredBefore: number | undefined;
  /** Called for each AUX field as it is read (logging). */
  onAux?: (key: string, value: string) => void;
}

/** Parses a complete RDB. Throws RdbError when it is corrupt (a duplicate key is corruption too). */
export function parseDataset(buf: Buffer, options: DatasetLoadOptions): LoadedDataset {
  const out: Omit<LoadedDataset, 'summary'> = {
    dicts: [],
    expires: [],
    usedBytes: [],
    aux: new Map(),
    keysLoaded: 0,
    keysExpired: 0,
  };
  for (let i = 0; i < options.databases; i++) {
    out.dicts.push(new Map());
    out.expires.push(new Map());
    out.usedBytes.push(0);
  }
  const cutoff = options.dropExpiredBefore;
  const summary = readRdb(
    buf,
    {
      aux(key, value) {
        out.aux.set(key, value);
        options.onAux?.(key, value);
      },
      entry(db, key, value, expireAtMs) {
        const dict = out.dicts[db]!;
        if (dict.has(key)) throw new RdbError(`RDB has duplicated key '${key}' in DB ${db}`);
        if (expireAtMs !== undefined && cutoff !== undefined && expireAtMs < cutoff) {
          out.keysExpired++;
          return;
        }
        dict.set(key, value);
        let bytes = keyBytes(key) + accountValue(value);
        if (expireAtMs !== undefined) {
          out.expires[db]!.set(key, expireAtMs);
          bytes += EXPIRE_ENTRY_BYTES;
        }
        out.usedBytes[db]! += bytes;
        out.keysLoaded++;
      },
    },
    { databases: options.databases },
  );
  return { ...out, summary };
}

/** Reads a file whole; undefined when it does not exist (a first start has no RDB: not an error). */
export function readFileIfExists(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
