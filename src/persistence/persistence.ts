import { join } from 'node:path';
import { afterFlushAll } from '../commands/server-keyspace.js';
import type { Command } from '../commands/table.js';
import { RdbError } from '../rdb/index.js';
import { RdbWriter, redisAuxFields } from '../rdb/writer.js';
import type { ReplicationManager } from '../replication/role.js';
import { type SnapshotManager, writeSnapshotRdb } from '../replication/snapshot.js';
import type { Server } from '../server/server.js';
import { persistenceInfo } from './info.js';
import {
  type LoadedDataset,
  parseDataset,
  readFileIfExists,
  writeFileAtomic,
  writeFileAtomicSync,
  writeKeyspace,
} from './rdb-file.js';
import { dueSavePoint, parseSavePoints, type SavePoint } from './save-points.js';

const MISCONF =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/** A BGSAVE in progress: a copy-on-write snapshot being written to a temp file a slice at a time. */
interface BackgroundSave {
  /** server.now() when it began. */
  startedAtMs: number;
  /** server.dirty when it began: changes made since stay pending for the next save. */
  dirtyBefore: number;
  /** Keys written / keys in the snapshot, for INFO. */
  progress: () => { processed: number; total: number };
  abort: () => void;
  aborted: boolean;
  /** Settles when the job is over (never rejects: failures are recorded in the state). */
  done: Promise<void>;
}

/** A startup load that failed: the server must not start (Redis exits rather than run half-loaded). */
export class RdbLoadFailure extends Error {
  override readonly name = 'RdbLoadFailure';
}

/**
 * RDB persistence for one server (Redis's rdb.c glue in server.c): SAVE, BGSAVE, the save points in the
 * cron, the save at shutdown and the load at startup. The bookkeeping fields are what INFO persistence
 * reports.
 */
export class Persistence {
  private bg: BackgroundSave | undefined;
  private savePoints: SavePoint[];
  private savePointsActive = false;
  lastBgsaveOk = true;
  /** Unix seconds of the last BGSAVE attempt (the retry delay after a failure counts from it). */
  lastBgsaveTry = 0;
  lastBgsaveSeconds = -1;
  saves = 0;
  loading = false;
  lastLoadKeysLoaded = 0;
  lastLoadKeysExpired = 0;

  constructor(readonly server: Server) {
    this.savePoints = parseSavePoints(server.config.str('save'));
    server.config.onChange((name) => {
      if (name === 'save') this.savePoints = parseSavePoints(server.config.str('save'));
    });
    server.infoSections.set('persistence', () => persistenceInfo(this));
    server.policyChecks.push((_c, cmd) => this.diskErrorRejection(cmd));
  }

  /**
   * stop-writes-on-bgsave-error: once a background save failed while save points are configured,
   * writes (and PING, as in Redis 7.0) are refused until a save succeeds, so nobody keeps writing data
   * that silently cannot be persisted.
   */
  private diskErrorRejection(cmd: Command): string | undefined {
    if (this.lastBgsaveOk || !this.hasSavePoints) return undefined;
    if (!this.server.config.bool('stop-writes-on-bgsave-error')) return undefined;
    return cmd.write || cmd.name === 'ping' ? MISCONF : undefined;
  }

  get log() {
    return this.server.log;
  }

  get rdbPath(): string {
    return join(this.server.config.str('dir'), this.server.config.str('dbfilename'));
  }

  get bgsaveInProgress(): boolean {
    return this.bg !== undefined;
  }

  get hasSavePoints(): boolean {
    return this.savePoints.length > 0;
  }

  /** Seconds the running BGSAVE has taken so far, or -1. */
  currentBgsaveSeconds(): number {
    return this.bg ? Math.floor((this.server.now() - this.bg.startedAtMs) / 1000) : -1;
  }

  bgsaveProgress(): { processed: number; total: number } {
    return this.bg ? this.bg.progress() : { processed: 0, total: 0 };
  }

  private unixNow(): number {
    return Math.floor(this.server.now() / 1000);
  }

  private newWriter(): RdbWriter {
    const replication = (this.server.replication as Partial<ReplicationManager>).rdbReplicationInfo?.();
    return new RdbWriter({
      aux: redisAuxFields({
        ctime: this.unixNow(),
        usedMem: this.server.memory.usedBytes(),
        replication,
      }),
      compress: this.server.config.bool('rdbcompression'),
    });
  }

  // ---- saving --------------------------------------------------------------------------------------

  /** SAVE (and shutdown, DEBUG RELOAD): writes the keyspace now, blocking. Throws RdbSaveError. */
  saveSync(): void {
    const writer = this.newWriter();
    try {
      writeFileAtomicSync(this.rdbPath, (write) => writeKeyspace(writer, this.server.dbs, write));
    } catch (err) {
      this.log.warning((err as Error).message);
      throw err;
    }
    this.log.notice('DB saved on disk');
    this.server.updateClock();
    this.server.dirty = 0;
    this.server.lastSave = this.unixNow();
    this.lastBgsaveOk = true;
    this.saves++;
  }

  /**
   * BGSAVE: starts writing a point-in-time snapshot in the background (the replication snapshot, so
   * writes go on meanwhile). Returns false when one is already running; see `whenBgsaveDone`.
   */
  startBgsave(): boolean {
    if (this.bg !== undefined) return false;
    const server = this.server;
    const snapshot = (server.snapshots as SnapshotManager).begin(server.dbs);
    const writer = this.newWriter();
    const target = this.rdbPath;
    this.lastBgsaveTry = this.unixNow();
    const job: BackgroundSave = {
      startedAtMs: server.now(),
      dirtyBefore: server.dirty,
      progress: () => ({ processed: snapshot.keys, total: snapshot.totalKeys }),
      abort: () => {
        job.aborted = true;
        snapshot.close();
      },
      aborted: false,
      done: Promise.resolve(),
    };
    this.bg = job;
    this.log.notice(`Background saving started by pid ${process.pid}`);
    const write = writeFileAtomic(target, async (emit) => {
      await writeSnapshotRdb(snapshot, writer, async (chunk) => {
        // A server closed under the save (tests, shutdown) must not keep writing.
        if (server.shuttingDown) job.abort();
        await emit(chunk);
      });
    });
    job.done = write.then(
      () => this.bgsaveDone(job, undefined),
      (err: Error) => this.bgsaveDone(job, err),
    );
    return true;
  }

  private bgsaveDone(job: BackgroundSave, err: Error | undefined): void {
    const server = this.server;
    server.updateClock();
    this.bg = undefined;
    this.lastBgsaveSeconds = Math.floor((server.now() - job.startedAtMs) / 1000);
    if (job.aborted) {
      // Stopped on purpose (shutdown): like Redis killing its child with SIGUSR1, not a failure.
      this.log.warning('Background saving aborted');
    } else if (err === undefined) {
      this.log.notice('DB saved on disk');
      this.log.notice('Background saving terminated with success');
      server.dirty = Math.max(0, server.dirty - job.dirtyBefore);
      server.lastSave = this.unixNow();
      this.lastBgsaveOk = true;
      this.saves++;
    } else {
      this.log.warning(err.message);
      this.log.warning('Background saving error');
      this.lastBgsaveOk = false;
    }
  }

  /** Resolves when the running BGSAVE (if any) is over. */
  async whenBgsaveDone(): Promise<void> {
    while (this.bg !== undefined) await this.bg.done;
  }

  /** Stops a running BGSAVE; its temp file is removed and the previous RDB stays in place. */
  async abortBgsave(): Promise<void> {
    const job = this.bg;
    if (job === undefined) return;
    job.abort();
    await job.done;
  }

  // ---- save points and shutdown --------------------------------------------------------------------

  /**
   * Turns the automatic policies on: save points checked after every turn and cron tick (the cron
   * runs even when idle), and the save at shutdown.
   */
  enableAutomaticSaves(): void {
    if (this.savePointsActive) return;
    this.savePointsActive = true;
    this.server.afterTurn.push(() => this.checkSavePoints());
    this.server.shutdownHooks.push((options) => this.onShutdown(options.save));
  }

  /** Redis's serverCron save-point check. */
  checkSavePoints(): void {
    if (this.bg !== undefined || this.server.shuttingDown) return;
    const nowSec = this.unixNow();
    const state = {
      dirty: this.server.dirty,
      lastSave: this.server.lastSave,
      lastBgsaveTry: this.lastBgsaveTry,
      lastBgsaveOk: this.lastBgsaveOk,
    };
    const point = dueSavePoint(this.savePoints, state, nowSec);
    if (point !== undefined) {
      this.log.notice(`${point.changes} changes in ${point.seconds} seconds. Saving...`);
      this.startBgsave();
    }
  }

  /** SHUTDOWN [SAVE|NOSAVE] and SIGTERM: a final save when save points are configured or SAVE is asked. */
  private async onShutdown(save: boolean | undefined): Promise<void> {
    if (this.bg !== undefined) {
      this.log.warning('There is a child saving an .rdb. Killing it!');
      await this.abortBgsave();
    }
    if (!(save === true || (save === undefined && this.hasSavePoints))) return;
    this.log.notice('Saving the final RDB snapshot before exiting.');
    try {
      this.saveSync();
    } catch (err) {
      this.log.warning("Error trying to save the DB, can't exit.");
      throw err;
    }
  }

  // ---- loading -------------------------------------------------------------------------------------

  /**
   * Parses an RDB into fresh dictionaries. Expired keys are dropped on a master and kept on a replica
   * (which waits for its master's DEL). Throws RdbError for a corrupt file.
   */
  parse(buf: Buffer, asReplica: boolean): LoadedDataset {
    const log = this.log;
    const nowMs = this.server.updateClock();
    return parseDataset(buf, {
      databases: this.server.dbs.length,
      dropExpiredBefore: asReplica ? undefined : nowMs,
      onAux(key, value) {
        if (key === 'redis-ver') log.notice(`Loading RDB produced by version ${value}`);
        else if (key === 'ctime') {
          const age = Math.max(0, Math.floor(nowMs / 1000) - Number(value));
          log.notice(`RDB age ${age} seconds`);
        } else if (key === 'used-mem') {
          log.notice(`RDB memory usage when created ${(Number(value) / 1024 / 1024).toFixed(2)} Mb`);
        } else if (key.startsWith('%')) {
          log.notice(`RDB '${key}': ${value}`);
        }
      },
    });
  }

  /** Makes a parsed dataset the keyspace, replacing everything (WATCHers see every key change). */
  install(data: LoadedDataset): void {
    const server = this.server;
    for (let i = 0; i < server.dbs.length; i++) {
      const db = server.dbs[i]!;
      // New Map objects: a snapshot in progress keeps reading the old ones (see Database.clear).
      db.dict = data.dicts[i]!;
      db.expires = data.expires[i]!;
      db.usedBytes = data.usedBytes[i]!;
      db.access?.clear();
    }
    server.modifiedAll();
    this.lastLoadKeysLoaded = data.keysLoaded;
    this.lastLoadKeysExpired = data.keysExpired;
    this.log.notice(`Done loading RDB, keys loaded: ${data.keysLoaded}, keys expired: ${data.keysExpired}.`);
  }

  /**
   * Startup: loads `dir/dbfilename` if it exists. A replica (configured with `replicaof`) also takes back
   * the replication id and offset recorded in the file, so it asks its master for a partial resync.
   * Throws RdbLoadFailure when the file cannot be used: the server must not start.
   */
  loadAtStartup(): void {
    const path = this.rdbPath;
    let buf: Buffer | undefined;
    try {
      buf = readFileIfExists(path);
    } catch (err) {
      const message = `Fatal error loading the DB: ${(err as Error).message}. Exiting.`;
      this.log.warning(message);
      throw new RdbLoadFailure(message);
    }
    if (buf === undefined) return;
    const asReplica = this.server.config.str('replicaof') !== '';
    const start = performance.now();
    this.loading = true;
    let data: LoadedDataset;
    try {
      data = this.parse(buf, asReplica);
    } catch (err) {
      if (!(err instanceof RdbError)) throw err;
      this.log.warning(`Internal error in RDB reading ${path}: ${err.message}`);
      this.log.warning(describeLoadError(err, this.server.dbs.length));
      throw new RdbLoadFailure(`Fatal error loading the DB (${path}): ${err.message}. Exiting.`);
    } finally {
      this.loading = false;
    }
    this.install(data);
    this.log.notice(`DB loaded from disk: ${((performance.now() - start) / 1000).toFixed(3)} seconds`);
    if (asReplica) this.restoreReplicationState(data.aux);
  }

  /** Redis's loadDataFromDisk: the RDB's repl-* fields become the cached master of a replica. */
  private restoreReplicationState(aux: Map<string, string>): void {
    const replId = aux.get('repl-id');
    const offset = Number(aux.get('repl-offset'));
    const streamDb = Number(aux.get('repl-stream-db'));
    if (replId === undefined || replId.length !== 40 || !Number.isSafeInteger(offset) || offset < 0) return;
    if (!Number.isInteger(streamDb) || streamDb < 0 || streamDb >= this.server.dbs.length) return;
    const replication = this.server.replication as Partial<ReplicationManager>;
    replication.restoreFromRdb?.(replId, offset, streamDb);
  }
}

/** The line Redis logs for each kind of unusable file. */
function describeLoadError(err: RdbError, databases: number): string {
  const m = err.message;
  if (m.startsWith('wrong signature')) return 'Wrong signature trying to load DB from file';
  if (m.startsWith('unexpected end of RDB'))
    return 'Short read or OOM loading DB. Unrecoverable error, aborting now.';
  const crc = /^wrong RDB checksum: computed ([0-9a-f]+), stored ([0-9a-f]+)/.exec(m);
  if (crc) return `Wrong RDB checksum expected: (${crc[2]}) got (${crc[1]}). Aborting now.`;
  if (m.startsWith('RDB has duplicated key')) return 'Duplicated key found in RDB file';
  if (m.startsWith('RDB selects db')) {
    return `FATAL: Data file was created with a Redis server configured to handle more than ${databases} databases. Exiting`;
  }
  return 'Bad RDB file. Unrecoverable error, aborting now.';
}

const instances = new WeakMap<Server, Persistence>();

/** The persistence state of a server, created on first use (SAVE on a server started without a file). */
export function persistenceOf(server: Server): Persistence {
  let p = instances.get(server);
  if (p === undefined) {
    p = new Persistence(server);
    instances.set(server, p);
  }
  return p;
}

/**
 * FLUSHALL with save points configured persists the now empty dataset at once, stopping a background
 * save in progress, as Redis 7.0 does: a restart must not bring the flushed keys back.
 */
afterFlushAll.push((server) => {
  const p = instances.get(server);
  if (p === undefined || !p.hasSavePoints) return;
  void p.abortBgsave();
  try {
    p.saveSync();
  } catch (err) {
    server.log.warning(`Error saving the DB after FLUSHALL: ${(err as Error).message}`);
  }
});

/**
 * What rcache-server does at startup (bootstrap.ts): load the RDB, then save automatically by the
 * configured save points and at shutdown. Throws RdbLoadFailure when the RDB is unusable.
 */
export function attachPersistence(server: Server, options: { load?: boolean } = {}): Persistence {
  const p = persistenceOf(server);
  if (options.load ?? true) p.loadAtStartup();
  p.enableAutomaticSaves();
  return p;
}
