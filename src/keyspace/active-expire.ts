import type { Server } from '../server/server.js';
import type { Database } from './db.js';

/**
 * The active expiry cycle (Redis's expire.c): keys with a TTL are deleted even when nobody reads them.
 * Each database's TTL table is walked with a resumable cursor, within a time budget of a quarter of the
 * cron period (Redis's ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC). JS Maps have no random sampling, so instead
 * of Redis's random probes the cursor sweeps the table in insertion order, wrapping around.
 */
export class ActiveExpire {
  private readonly cursors = new Map<
    Database,
    { map: Map<string, number>; it: Iterator<[string, number]> }
  >();

  constructor(private readonly server: Server) {}

  cycle(now: number): void {
    const budgetMs = Math.max(1, Math.floor(250 / this.server.config.num('hz')));
    const start = performance.now();
    for (const db of this.server.dbs) {
      if (db.expires.size === 0) continue;
      let cursor = this.cursors.get(db);
      // FLUSHDB and loads swap in a new table: start over on it.
      if (!cursor || cursor.map !== db.expires) {
        cursor = { map: db.expires, it: db.expires.entries() };
        this.cursors.set(db, cursor);
      }
      let checked = 0;
      const limit = Math.min(db.expires.size, 2000);
      while (checked < limit) {
        const next = cursor.it.next();
        if (next.done) {
          // Wrap around: a pass that started mid-table still gets to look at every key.
          cursor.it = db.expires.entries();
          if (db.expires.size === 0) break;
          continue;
        }
        checked++;
        const [key, when] = next.value;
        if (when <= now) {
          db.deleteExpired(key);
          this.server.flushPropagation();
        }
        if ((checked & 63) === 0 && performance.now() - start > budgetMs) return;
      }
    }
  }
}
