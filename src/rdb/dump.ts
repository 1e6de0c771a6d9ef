import type { RedisValue } from '../keyspace/values.js';
import { RDB_VERSION } from './constants.js';
import { Crc64 } from './crc64.js';
import { Cursor } from './cursor.js';
import { isLoadableType, readObject } from './decode.js';
import { RdbEncoder } from './encode.js';
import { RdbError } from './errors.js';

/**
 * DUMP / RESTORE payloads, byte-compatible with Redis 7.0:
 *   <type byte> <value, as in an RDB> <uint16 LE RDB version> <CRC-64 LE of everything before>
 */

const FOOTER_SIZE = 10;

/** A RESTORE payload Redis would refuse; the message is Redis's reply text. */
export class DumpPayloadError extends Error {
  override readonly name = 'DumpPayloadError';
}

export const DUMP_VERSION_OR_CHECKSUM_ERROR = 'ERR DUMP payload version or checksum are wrong';
export const DUMP_BAD_DATA_FORMAT_ERROR = 'ERR Bad data format';

export function dumpValue(value: RedisValue, compress = true): Buffer {
  const enc = new RdbEncoder(256, compress);
  enc.object(value);
  enc.ensure(FOOTER_SIZE);
  enc.buf.writeUInt16LE(RDB_VERSION, enc.pos);
  enc.pos += 2;
  new Crc64().update(enc.buf, 0, enc.pos).writeLE(enc.buf, enc.pos);
  enc.pos += 8;
  return enc.buf.subarray(0, enc.pos);
}

/** Checks the footer as verifyDumpPayload() does: version not newer than ours, matching CRC. */
export function verifyDumpPayload(payload: Buffer): boolean {
  if (payload.length < FOOTER_SIZE) return false;
  const version = payload.readUInt16LE(payload.length - FOOTER_SIZE);
  if (version > RDB_VERSION) return false;
  return new Crc64().update(payload, 0, payload.length - 8).matchesLE(payload, payload.length - 8);
}

export function restoreValue(payload: Buffer): RedisValue {
  if (!verifyDumpPayload(payload)) throw new DumpPayloadError(DUMP_VERSION_OR_CHECKSUM_ERROR);
  const end = payload.length - FOOTER_SIZE;
  const cur = new Cursor(payload, 0, end, 0, true);
  try {
    const type = cur.u8('value type');
    if (!isLoadableType(type)) throw new DumpPayloadError(DUMP_BAD_DATA_FORMAT_ERROR);
    const value = readObject(cur, type);
    // Like Redis, reject empty collections (and, like Redis, ignore any bytes after the value).
    if (value === undefined) throw new DumpPayloadError(DUMP_BAD_DATA_FORMAT_ERROR);
    return value;
  } catch (err) {
    if (err instanceof RdbError) throw new DumpPayloadError(DUMP_BAD_DATA_FORMAT_ERROR);
    throw err;
  }
}
