import type { Client } from '../server/client.js';

/**
 * Redis's forceCommandPropagation: replicate this command verbatim even when it changed nothing
 * (FLUSHALL on an empty dataset, PUBLISH). call() only propagates commands that moved `dirty`, so the
 * command is queued here and `c.propagate` is emptied so call() does not queue it a second time.
 * Commands applied from our master are not re-propagated: the replication module relays its stream.
 */
export function forcePropagation(c: Client, argv: string[]): void {
  if (c.flags.master) return;
  c.server.propagate(c.db.id, argv);
  c.propagate = [];
}
