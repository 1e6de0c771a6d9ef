/**
 * Node's Buffer has fast latin1 accessors that @types/node does not declare. They convert between bytes
 * and one-char-per-byte JS strings, the representation of every binary string in rcache.
 */
declare global {
  interface Buffer<TArrayBuffer extends ArrayBufferLike = ArrayBufferLike> {
    latin1Slice(start?: number, end?: number): string;
    latin1Write(value: string, offset?: number, length?: number): number;
  }
}

export {};
