import type { Database } from '../keyspace/db.js';
import type { Client } from './client.js';

/**
 * Clients blocked on keys (BLPOP, BZPOPMIN, BLMOVE...). When a command makes a key ready, the clients
 * blocked on it are retried in the order they blocked, after that command (and its propagation) is
 * complete, as Redis's handleClientsBlockedOnKeys does.
 */
export class BlockingManager {
  /** `dbId\0key` → clients in blocking order. */
  private readonly byKey = new Map<string, Client[]>();
  private readonly readyKeys = new Set<string>();
  readonly clients = new Set<Client>();

  add(c: Client): void {
    this.clients.add(c);
    // A key named twice (BLPOP k k 0) waits once, as in Redis, so FIFO positions stay exact.
    for (const key of new Set(c.blocked!.keys)) {
      const id = `${c.db.id}\0${key}`;
      const list = this.byKey.get(id);
      if (list) list.push(c);
      else this.byKey.set(id, [c]);
    }
  }

  /** Removes the client from every wait list; does not reply. */
  remove(c: Client): void {
    const state = c.blocked;
    if (!state) return;
    c.blocked = undefined;
    this.clients.delete(c);
    for (const key of new Set(state.keys)) {
      const id = `${c.db.id}\0${key}`;
      const list = this.byKey.get(id);
      if (!list) continue;
      const i = list.indexOf(c);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.byKey.delete(id);
    }
    state.cleanup?.();
  }

  signalReady(db: Database, key: string): void {
    const id = `${db.id}\0${key}`;
    if (this.byKey.has(id)) this.readyKeys.add(id);
  }

  get hasReadyKeys(): boolean {
    return this.readyKeys.size > 0;
  }

  /**
   * Serves clients blocked on keys that became ready. Serving one may make more keys ready (BLMOVE
   * pushes to its destination), so loop until quiet. `onServed` runs right after each client is
   * served, before the next one, so each served command's effects propagate on their own and in order
   * (Redis propagates after every served client). Returns the clients that were unblocked.
   */
  serveReady(onServed: (c: Client) => void = () => {}): Client[] {
    const served: Client[] = [];
    while (this.readyKeys.size > 0) {
      const ids = [...this.readyKeys];
      this.readyKeys.clear();
      for (const id of ids) {
        const waiting = this.byKey.get(id);
        if (!waiting) continue;
        const key = id.slice(id.indexOf('\0') + 1);
        for (const c of [...waiting]) {
          if (!c.blocked) continue;
          const state = c.blocked;
          c.propagate = undefined;
          if (state.retry(c, key)) {
            if (c.blocked === state) this.remove(c);
            onServed(c);
            served.push(c);
          }
        }
      }
    }
    return served;
  }

  /** Times out clients whose deadline passed; returns them. */
  expire(now: number): Client[] {
    const out: Client[] = [];
    for (const c of this.clients) {
      const state = c.blocked!;
      if (state.deadline !== 0 && state.deadline <= now) {
        this.remove(c);
        state.onTimeout(c);
        out.push(c);
      }
    }
    return out;
  }
}
