import { ListValue } from './list.js';
import { SortedSetValue } from './zset.js';

/**
 * Everything the keyspace stores. Every binary string (keys, values, members, fields) is a JS string
 * holding one byte per UTF-16 code unit ("latin1"), which keeps them binary-safe, compact (V8 one-byte
 * strings) and usable as Map keys. A Redis string value is stored as that JS string directly, with no
 * wrapper object: it is the common case and this keeps memory per key close to Redis's.
 */
export class HashValue extends Map<string, string> {
  lru = 0;
  /** Estimated bytes as last accounted by the keyspace's memory accounting (keyspace/memory.ts). */
  memBytes = 0;
  clone(): HashValue {
    return new HashValue(this);
  }
}

export class SetValue extends Set<string> {
  lru = 0;
  /** Estimated bytes as last accounted by the keyspace's memory accounting (keyspace/memory.ts). */
  memBytes = 0;
  clone(): SetValue {
    return new SetValue(this);
  }
}

export { ListValue, SortedSetValue };

export type CollectionValue = ListValue | HashValue | SetValue | SortedSetValue;
export type RedisValue = string | CollectionValue;

export type TypeName = 'string' | 'list' | 'hash' | 'set' | 'zset';

export function typeOf(value: RedisValue): TypeName {
  if (typeof value === 'string') return 'string';
  if (value instanceof ListValue) return 'list';
  if (value instanceof HashValue) return 'hash';
  if (value instanceof SetValue) return 'set';
  return 'zset';
}

/** A deep copy, used by COPY and by snapshot copy-on-write. Strings are immutable, so they are shared. */
export function cloneValue<T extends RedisValue>(value: T): T {
  return (typeof value === 'string' ? value : value.clone()) as T;
}
