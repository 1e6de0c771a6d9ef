export { RDB_VERSION } from './constants.js';
export { Crc64, crc64 } from './crc64.js';
export {
  DUMP_BAD_DATA_FORMAT_ERROR,
  DUMP_VERSION_OR_CHECKSUM_ERROR,
  DumpPayloadError,
  dumpValue,
  restoreValue,
  verifyDumpPayload,
} from './dump.js';
export { RdbError } from './errors.js';
export { lzfCompress, lzfDecompress } from './lzf.js';
export {
  type RdbLoadOptions,
  type RdbLoadSummary,
  type RdbSink,
  RdbStreamLoader,
  readRdb,
} from './reader.js';
export {
  type RdbDatabaseContent,
  RdbWriter,
  type RdbWriterOptions,
  REDIS_VERSION_COMPAT,
  redisAuxFields,
  serializeRdb,
} from './writer.js';
