import type { Persistence } from './persistence.js';

/**
 * INFO `# Persistence`, in Redis 7.0's field order. There is no fork: a BGSAVE is a copy-on-write
 * snapshot inside the process, so the fork/COW figures stay 0 and AOF is not implemented.
 */
export function persistenceInfo(p: Persistence): string[] {
  const server = p.server;
  const progress = p.bgsaveProgress();
  return [
    `loading:${p.loading ? 1 : 0}`,
    'async_loading:0',
    'current_cow_peak:0',
    'current_cow_size:0',
    'current_cow_size_age:0',
    'current_fork_perc:0.00',
    `current_save_keys_processed:${progress.processed}`,
    `current_save_keys_total:${progress.total}`,
    `rdb_changes_since_last_save:${server.dirty}`,
    `rdb_bgsave_in_progress:${p.bgsaveInProgress ? 1 : 0}`,
    `rdb_last_save_time:${server.lastSave}`,
    `rdb_last_bgsave_status:${p.lastBgsaveOk ? 'ok' : 'err'}`,
    `rdb_last_bgsave_time_sec:${p.lastBgsaveSeconds}`,
    `rdb_current_bgsave_time_sec:${p.currentBgsaveSeconds()}`,
    `rdb_saves:${p.saves}`,
    'rdb_last_cow_size:0',
    `rdb_last_load_keys_expired:${p.lastLoadKeysExpired}`,
    `rdb_last_load_keys_loaded:${p.lastLoadKeysLoaded}`,
    'aof_enabled:0',
    'aof_rewrite_in_progress:0',
    'aof_rewrite_scheduled:0',
    'aof_last_rewrite_time_sec:-1',
    'aof_current_rewrite_time_sec:-1',
    'aof_last_bgrewrite_status:ok',
    'aof_rewrites:0',
    'aof_rewrites_consecutive_failures:0',
    'aof_last_write_status:ok',
    'aof_last_cow_size:0',
    'module_fork_in_progress:0',
    'module_fork_last_cow_size:0',
  ];
}
