/**
 * RDB format constants, as defined by Redis 7.0 (rdb.h). Only the numbers live here; the meaning of each
 * encoding is documented next to the code that reads or writes it.
 */

/** The version Redis 7.0 writes, and the newest one it (and we) can load. */
export const RDB_VERSION = 10;
/** Files older than this carry no CRC-64 trailer. */
export const RDB_FIRST_VERSION_WITH_CHECKSUM = 5;
export const RDB_MAGIC = 'REDIS';
export const RDB_HEADER_LENGTH = 9;

/** Opcodes that share the type byte's position in the body. */
export const RdbOpcode = {
  Function2: 245,
  FunctionPreGa: 246,
  ModuleAux: 247,
  Idle: 248,
  Freq: 249,
  Aux: 250,
  ResizeDb: 251,
  ExpireTimeMs: 252,
  ExpireTime: 253,
  SelectDb: 254,
  Eof: 255,
} as const;

/** Object types, the byte before a key. */
export const RdbType = {
  String: 0,
  List: 1,
  Set: 2,
  Zset: 3,
  Hash: 4,
  Zset2: 5,
  ModulePreGa: 6,
  Module2: 7,
  HashZipmap: 9,
  ListZiplist: 10,
  SetIntset: 11,
  ZsetZiplist: 12,
  HashZiplist: 13,
  ListQuicklist: 14,
  StreamListpacks: 15,
  HashListpack: 16,
  ZsetListpack: 17,
  ListQuicklist2: 18,
  StreamListpacks2: 19,
  SetListpack: 20,
  StreamListpacks3: 21,
} as const;

/** Top two bits of a length byte. */
export const RDB_6BITLEN = 0;
export const RDB_14BITLEN = 1;
export const RDB_32BITLEN = 0x80;
export const RDB_64BITLEN = 0x81;
export const RDB_ENCVAL = 3;

/** "Special" string encodings, the low six bits of a length byte whose top bits are RDB_ENCVAL. */
export const RDB_ENC_INT8 = 0;
export const RDB_ENC_INT16 = 1;
export const RDB_ENC_INT32 = 2;
export const RDB_ENC_LZF = 3;

/** Quicklist-2 node containers. */
export const QUICKLIST_NODE_PLAIN = 1;
export const QUICKLIST_NODE_PACKED = 2;

/**
 * Encoding thresholds of a default Redis 7.0 configuration. The writer picks the same compact encodings
 * Redis would, so a snapshot loaded into Redis has the same OBJECT ENCODING it would have had there.
 */
export const HASH_MAX_LISTPACK_ENTRIES = 512;
export const HASH_MAX_LISTPACK_VALUE = 64;
export const ZSET_MAX_LISTPACK_ENTRIES = 128;
export const ZSET_MAX_LISTPACK_VALUE = 64;
export const SET_MAX_INTSET_ENTRIES = 512;
/** list-max-listpack-size -2: quicklist nodes hold at most 8 KiB of listpack. */
export const LIST_MAX_LISTPACK_BYTES = 8192;
/** Redis only LZF-compresses strings longer than this. */
export const LZF_MIN_LENGTH = 20;

/** Human names for error messages about types we do not load. */
export function rdbTypeName(type: number): string {
  switch (type) {
    case RdbType.StreamListpacks:
    case RdbType.StreamListpacks2:
    case RdbType.StreamListpacks3:
      return 'stream';
    case RdbType.ModulePreGa:
    case RdbType.Module2:
      return 'module';
    case RdbType.SetListpack:
      return 'set listpack, Redis 7.2+';
    default:
      return 'unknown';
  }
}
