import { randomBytes } from 'node:crypto';

/** The "no id" value Redis shows for an unset secondary replication id. */
export const NULL_REPLID = '0000000000000000000000000000000000000000';

/** A fresh replication id: 40 lowercase hex characters, as Redis's getRandomHexChars. */
export function newReplid(): string {
  return randomBytes(20).toString('hex');
}

/** A replication id as it appears on the wire: exactly 40 characters. */
export function isReplid(s: string): boolean {
  return s.length === 40;
}
