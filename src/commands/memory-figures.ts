import type { Server } from '../server/server.js';

/** The memory figures INFO memory and MEMORY STATS report, in bytes. */
export interface MemoryFigures {
  used: number;
  rss: number;
  peak: number;
  /** Memory in use before any data was loaded (Redis's used_memory_startup). */
  startup: number;
  notCountedForEvict: number;
  allocator: string;
}

/**
 * The accounting the eviction work may expose on `server.memory`. Until it does, the figures come from
 * the V8 heap: live heap plus off-heap buffers is the closest analogue of an allocator's `allocated`.
 */
interface MemoryAccounting {
  usedMemory?: () => number;
  notCountedForEvict?: () => number;
}

const startupUsed = new WeakMap<Server, number>();
const peaks = new WeakMap<Server, number>();

export function memoryFigures(server: Server): MemoryFigures {
  const process_ = process.memoryUsage();
  const accounting = server.memory as unknown as MemoryAccounting;
  const used =
    typeof accounting.usedMemory === 'function'
      ? accounting.usedMemory()
      : process_.heapUsed + process_.external;
  if (!startupUsed.has(server)) startupUsed.set(server, used);
  const peak = Math.max(peaks.get(server) ?? 0, used);
  peaks.set(server, peak);
  return {
    used,
    rss: process_.rss,
    peak,
    startup: Math.min(startupUsed.get(server)!, used),
    notCountedForEvict:
      typeof accounting.notCountedForEvict === 'function' ? accounting.notCountedForEvict() : 0,
    allocator: `v8-${process.versions.v8}`,
  };
}

/** CONFIG RESETSTAT forgets the peak, as Redis's resetServerStats does. */
export function resetMemoryPeak(server: Server): void {
  peaks.delete(server);
}
