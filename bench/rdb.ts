/**
 * RDB throughput benchmark. Run after a build:  npm run build && node bench/rdb.ts [keys]
 * Writes N small string keys with RdbWriter (drained in 64 KiB slices, as a server snapshot would),
 * reads them back in one piece and as a 64 KiB-chunked stream, then does the same for a mixed dataset.
 */
import { randomBytes } from 'node:crypto';
import { HashValue, ListValue, type RedisValue, SetValue, SortedSetValue } from '../dist/keyspace/values.js';
import { crc64, RdbStreamLoader, RdbWriter, readRdb, redisAuxFields } from '../dist/rdb/index.js';

const n = Number(process.argv[2] ?? 1_000_000);

function write(count: number, valueAt: (i: number) => RedisValue): { rdb: Buffer; seconds: number } {
  // Values are built first so that only serialization is timed.
  const values = Array.from({ length: count }, (_, i) => valueAt(i));
  const start = performance.now();
  const writer = new RdbWriter({ aux: redisAuxFields() });
  const parts: Buffer[] = [];
  writer.selectDb(0, count, 0);
  for (let i = 0; i < count; i++) {
    writer.entry(`key:${i}`, values[i]!);
    if (writer.bufferedBytes >= 64 * 1024) parts.push(writer.take());
  }
  writer.end();
  parts.push(writer.take());
  const seconds = (performance.now() - start) / 1000;
  return { rdb: Buffer.concat(parts), seconds };
}

function report(label: string, keys: number, bytes: number, seconds: number): void {
  const mb = bytes / 1048576;
  console.log(
    `${label.padEnd(34)} ${(keys / seconds / 1000).toFixed(0).padStart(6)}k keys/s ${(mb / seconds).toFixed(0).padStart(5)} MB/s  (${seconds.toFixed(2)} s, ${mb.toFixed(1)} MB)`,
  );
}

function read(label: string, rdb: Buffer, keys: number): void {
  let count = 0;
  let start = performance.now();
  readRdb(rdb, { entry: () => count++ });
  report(`${label} read (one buffer)`, keys, rdb.length, (performance.now() - start) / 1000);
  count = 0;
  start = performance.now();
  const loader = new RdbStreamLoader({ entry: () => count++ });
  for (let i = 0; i < rdb.length; i += 64 * 1024) loader.push(rdb.subarray(i, i + 64 * 1024));
  loader.end();
  report(`${label} read (64 KiB stream)`, keys, rdb.length, (performance.now() - start) / 1000);
  if (count !== keys) throw new Error(`read ${count} keys, expected ${keys}`);
}

const strings = write(n, (i) => `value:${i}`);
report(`${n} small strings: write`, n, strings.rdb.length, strings.seconds);
read(`${n} small strings:`, strings.rdb, n);

const mixedCount = Math.max(1, Math.floor(n / 10));
const mixed = write(mixedCount, (i) => {
  switch (i % 5) {
    case 0:
      return `some longer string value number ${i} `.repeat(3);
    case 1:
      return ListValue.from(Array.from({ length: 10 }, (_, j) => `item-${j}`));
    case 2:
      return new HashValue(Array.from({ length: 10 }, (_, j) => [`field-${j}`, String(j * i)]));
    case 3:
      return new SetValue(Array.from({ length: 10 }, (_, j) => String(j + i)));
    default: {
      const z = new SortedSetValue();
      for (let j = 0; j < 10; j++) z.add(`member-${j}`, j * 1.5);
      return z;
    }
  }
});
report(`${mixedCount} mixed 10-element values: write`, mixedCount, mixed.rdb.length, mixed.seconds);
read(`${mixedCount} mixed values:`, mixed.rdb, mixedCount);

const blob = randomBytes(64 * 1048576);
const start = performance.now();
crc64(blob);
console.log(`crc64 ${(64 / ((performance.now() - start) / 1000)).toFixed(0)} MB/s`);
