/**
 * Encodes a command as the replication stream carries it: a RESP array of bulk strings (never inline).
 * Arguments are latin1 "binary strings", so every char is one byte.
 */
export function encodeCommand(argv: readonly string[]): Buffer {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${a.length}\r\n${a}\r\n`;
  return Buffer.from(s, 'latin1');
}

/** `*1\r\n$4\r\nping\r\n`: the master's heartbeat is lowercase, as Redis sends it. */
export const PING_BYTES = encodeCommand(['ping']);
export const GETACK_BYTES = encodeCommand(['REPLCONF', 'GETACK', '*']);
