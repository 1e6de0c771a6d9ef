import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';

/**
 * maxmemory accounting and eviction. `overLimit` runs before every denyoom command: it evicts per
 * maxmemory-policy and answers whether the command must still be refused.
 *
 * NOTE: accounting and eviction policies are filled in by the eviction work; until then maxmemory is
 * accepted but never enforced.
 */
export class MemoryManager {
  constructor(private readonly server: Server) {}

  overLimit(_c: Client): boolean {
    return this.server.config.num('maxmemory') > 0 && false;
  }
}
