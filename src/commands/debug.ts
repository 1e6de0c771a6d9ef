import { createHash } from 'node:crypto';
import type { Database } from '../keyspace/db.js';
import { encodingOf } from '../keyspace/encoding.js';
import { HashValue, ListValue, type RedisValue, SetValue } from '../keyspace/values.js';
import { dumpValue } from '../rdb/index.js';
import { formatDouble } from '../resp/reply-writer.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { replyHelp } from './help.js';
import { type CommandHandler, type CommandSpec, cmd, NO_KEYS } from './table.js';
import { Err, parseDouble, parseLong } from './util.js';

/**
 * DEBUG: the test-suite's tools. DIGEST and DIGEST-VALUE compute the same SHA1 mix as Redis's
 * debug.c, so a digest taken here equals one taken from real Redis holding the same data (the
 * replication tests compare master and replica this way).
 *
 * Other subsystems add subcommands through `debugExtensions` (the persistence work registers
 * `reload`), keyed by lower-case name; their handler gets the full argv.
 */
export const debugExtensions = new Map<string, CommandHandler>();

// ---- digests -------------------------------------------------------------------------------------

type Digest = Buffer;

/** digest ^= SHA1(data): order-independent mixing (set members, hash fields, keys). */
function xorDigest(digest: Digest, data: string | Buffer): void {
  const h = createHash('sha1')
    .update(typeof data === 'string' ? Buffer.from(data, 'latin1') : data)
    .digest();
  for (let i = 0; i < 20; i++) digest[i]! ^= h[i]!;
}

/** xorDigest then digest = SHA1(digest): order-dependent mixing (list elements, string contents). */
function mixDigest(digest: Digest, data: string | Buffer): void {
  xorDigest(digest, data);
  createHash('sha1').update(digest).digest().copy(digest);
}

/** Redis's object type codes (OBJ_STRING...), mixed in as a big-endian 32-bit integer. */
function typeCode(value: RedisValue): number {
  if (typeof value === 'string') return 0;
  if (value instanceof ListValue) return 1;
  if (value instanceof SetValue) return 2;
  if (value instanceof HashValue) return 4;
  return 3;
}

function uint32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Redis's xorObjectDigest: mixes one value (and whether it has a TTL) into `digest`. */
function mixValue(digest: Digest, value: RedisValue, hasExpire: boolean): void {
  mixDigest(digest, uint32be(typeCode(value)));
  if (typeof value === 'string') {
    mixDigest(digest, value);
  } else if (value instanceof ListValue) {
    for (const item of value) mixDigest(digest, item);
  } else if (value instanceof SetValue) {
    for (const member of value) xorDigest(digest, member);
  } else if (value instanceof HashValue) {
    for (const [field, v] of value) {
      const element = Buffer.alloc(20);
      mixDigest(element, field);
      mixDigest(element, v);
      xorDigest(digest, element);
    }
  } else {
    for (const [member, score] of value.dict) {
      const element = Buffer.alloc(20);
      mixDigest(element, member);
      mixDigest(element, formatDouble(score));
      xorDigest(digest, element);
    }
  }
  if (hasExpire) xorDigest(digest, '!!expire!!');
}

/** Redis's computeDatasetDigest: 40 hex zeros for an empty dataset. */
export function datasetDigest(server: Server): string {
  const final = Buffer.alloc(20);
  for (const db of server.dbs) {
    if (db.size === 0) continue;
    // The db number is mixed in so the same data in another db digests differently.
    mixDigest(final, uint32be(db.id));
    for (const [key, value] of db.dict) {
      const digest = Buffer.alloc(20);
      mixDigest(digest, key);
      mixValue(digest, value, db.expires.has(key));
      xorDigest(final, digest);
    }
  }
  return final.toString('hex');
}

function valueDigest(db: Database, key: string): string {
  const digest = Buffer.alloc(20);
  const value = db.dict.get(key);
  if (value !== undefined) mixValue(digest, value, db.expires.has(key));
  return digest.toString('hex');
}

// ---- subcommands ---------------------------------------------------------------------------------

/** DEBUG SLEEP seconds: blocks the whole server, as in Redis (tests use it to provoke timeouts). */
function debugSleep(c: Client, argv: string[]): void {
  const seconds = parseDouble(argv[2]!) ?? 0;
  if (seconds > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);
  c.out.status('OK');
}

function debugObject(c: Client, argv: string[]): void {
  const key = argv[2]!;
  const value = c.db.lookupRead(key);
  if (value === undefined) {
    c.out.error(Err.noSuchKey);
    return;
  }
  const encoding = encodingOf(value, c.server.config);
  // dumpValue is [type byte][payload][2-byte version][8-byte CRC]: the payload is what Redis reports.
  const serialized = dumpValue(value, c.server.config.bool('rdbcompression')).length - 11;
  // There is no object address nor shared refcount here; idle time is OBJECT IDLETIME's business.
  let text = `Value at:0x0 refcount:1 encoding:${encoding} serializedlength:${serialized} lru:${Math.floor(c.server.now() / 1000) & 0xffffff} lru_seconds_idle:0`;
  if (value instanceof ListValue) {
    text += ` ql_nodes:1 ql_avg_node:${value.length.toFixed(2)} ql_listpack_max:${c.server.config.num('list-max-listpack-size')} ql_compressed:0 ql_uncompressed_size:${serialized}`;
  }
  c.out.status(text);
}

function debugSetActiveExpire(c: Client, argv: string[]): void {
  const flag = parseLong(argv[2]!);
  c.server.activeExpireEnabled = flag !== 0;
  c.out.status('OK');
}

function debugLog(c: Client, argv: string[]): void {
  c.server.log.warning(`DEBUG LOG: ${argv[2]}`);
  c.out.status('OK');
}

function debugHelp(c: Client): void {
  replyHelp(c, 'DEBUG', [
    'DIGEST',
    '    Output a hex signature representing the current DB content.',
    'DIGEST-VALUE <key> [<key> ...]',
    '    Output a hex signature of the values of all the specified keys.',
    'LOG <message>',
    '    Write <message> to the server log.',
    'OBJECT <key>',
    '    Show low level info about the <key> and associated value.',
    'SET-ACTIVE-EXPIRE <0|1>',
    '    Setting it to 0 disables expiring keys in background when they are not',
    '    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the',
    '    default.',
    'SLEEP <seconds>',
    '    Stop the server for <seconds>. Decimals allowed.',
    ...[...debugExtensions.keys()].map((name) => name.toUpperCase()),
  ]);
}

/** Built-in subcommands with their exact argument counts (argv including DEBUG and the name). */
const SUBCOMMANDS = new Map<string, { argc: number | ((n: number) => boolean); run: CommandHandler }>([
  ['sleep', { argc: 3, run: debugSleep }],
  ['digest', { argc: 2, run: (c) => c.out.status(datasetDigest(c.server)) }],
  [
    'digest-value',
    {
      argc: (n) => n >= 2,
      run: (c, argv) => {
        c.out.arrayHeader(argv.length - 2);
        for (let i = 2; i < argv.length; i++) c.out.status(valueDigest(c.db, argv[i]!));
      },
    },
  ],
  ['object', { argc: 3, run: debugObject }],
  ['set-active-expire', { argc: 3, run: debugSetActiveExpire }],
  ['log', { argc: 3, run: debugLog }],
  ['help', { argc: 2, run: debugHelp }],
]);

/** enable-debug-command: `no` refuses DEBUG, `local` allows it from loopback connections only. */
function debugAllowed(c: Client): boolean {
  const mode = c.server.config.str('enable-debug-command');
  if (mode === 'yes') return true;
  if (mode === 'local') {
    const addr = c.socket?.remoteAddress ?? '';
    return c.socket === undefined || addr === '::1' || addr.replace(/^::ffff:/, '').startsWith('127.');
  }
  return false;
}

function debug(c: Client, argv: string[]): void {
  if (!debugAllowed(c)) {
    c.out.error(
      'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
    );
    return;
  }
  const name = argv[1]!.toLowerCase();
  const extension = debugExtensions.get(name);
  if (extension !== undefined) {
    extension(c, argv);
    return;
  }
  const sub = SUBCOMMANDS.get(name);
  const argcOk = sub && (typeof sub.argc === 'number' ? argv.length === sub.argc : sub.argc(argv.length));
  if (!sub || !argcOk) {
    c.out.error(
      `ERR unknown subcommand or wrong number of arguments for '${argv[1]!.slice(0, 128)}'. Try DEBUG HELP.`,
    );
    return;
  }
  sub.run(c, argv);
}

export const debugCommands: CommandSpec[] = [
  cmd('debug', -2, ['admin', 'noscript', 'loading', 'stale'], NO_KEYS, 'server', debug),
];
