import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { validClientName } from './connection.js';
import { dispatchedToSubcommands, replyHelp } from './help.js';
import { type CommandSpec, cmd, NO_KEYS } from './table.js';
import { Err, parseLong } from './util.js';

/** CLIENT: connection introspection and control (LIST, KILL, PAUSE, names, library info...). */

type ClientType = 'normal' | 'master' | 'replica' | 'pubsub';

/** Redis's getClientType: a master link, a replica, a subscriber, or a normal client. */
function clientType(c: Client): ClientType {
  if (c.flags.master) return 'master';
  if (c.flags.replica && !c.flags.monitor) return 'replica';
  if (c.inPubSub) return 'pubsub';
  return 'normal';
}

/** Parses a TYPE argument; `slave` is the old name of `replica`. */
function parseClientType(name: string): ClientType | undefined {
  const t = name.toLowerCase();
  if (t === 'slave') return 'replica';
  return t === 'normal' || t === 'master' || t === 'replica' || t === 'pubsub' ? t : undefined;
}

/** The flags letters of CLIENT LIST, in Redis's order. */
function flagLetters(c: Client): string {
  let f = '';
  if (c.flags.replica) f += c.flags.monitor ? 'O' : 'S';
  else if (c.flags.monitor) f += 'O';
  if (c.flags.master) f += 'M';
  if (c.inPubSub) f += 'P';
  if (c.multi !== undefined) f += 'x';
  if (c.blocked !== undefined || c.postponed) f += 'b';
  if (c.watchDirty) f += 'd';
  if (c.flags.closeAfterReply) f += 'c';
  if (c.flags.closeAsap) f += 'A';
  if (c.flags.noEvict) f += 'e';
  return f === '' ? 'N' : f;
}

/** The kernel descriptor of a socket, when Node exposes it (Linux TCP sockets); -1 otherwise. */
function socketFd(c: Client): number {
  const handle = (c.socket as unknown as { _handle?: { fd?: number } } | undefined)?._handle;
  return typeof handle?.fd === 'number' ? handle.fd : -1;
}

/** One CLIENT LIST / CLIENT INFO line, with Redis 7.0's fields (plus 7.2's lib-name/lib-ver). */
export function describeClientLine(c: Client): string {
  const now = Date.now();
  const qbuf = c.parser.bufferedBytes;
  const omem = c.outputBytes;
  const multiCount = c.multi === undefined ? -1 : c.multi.length;
  return [
    `id=${c.id}`,
    `addr=${c.address}`,
    `laddr=${c.localAddress}`,
    `fd=${socketFd(c)}`,
    `name=${c.name}`,
    `age=${Math.floor((now - c.createdAt) / 1000)}`,
    `idle=${Math.floor((now - c.lastInteraction) / 1000)}`,
    `flags=${flagLetters(c)}`,
    `db=${c.db.id}`,
    `sub=${c.channels.size}`,
    `psub=${c.patterns.size}`,
    `ssub=${c.shardChannels.size}`,
    `multi=${multiCount}`,
    `qbuf=${qbuf}`,
    'qbuf-free=0',
    'argv-mem=0',
    'multi-mem=0',
    'rbs=0',
    'rbp=0',
    'obl=0',
    'oll=0',
    `omem=${omem}`,
    `tot-mem=${qbuf + omem}`,
    `events=r${omem > 0 ? 'w' : ''}`,
    `cmd=${c.lastCommand}`,
    'user=default',
    'redir=-1',
    `resp=${c.resp}`,
    `lib-name=${c.libName}`,
    `lib-ver=${c.libVer}`,
  ].join(' ');
}

function clientId(c: Client): void {
  c.out.integer(c.id);
}

function clientSetname(c: Client, argv: string[]): void {
  if (!validClientName(argv[2]!)) {
    c.out.error('ERR Client names cannot contain spaces, newlines or special characters.');
    return;
  }
  c.name = argv[2]!;
  c.out.status('OK');
}

function clientGetname(c: Client): void {
  if (c.name === '') c.out.nullBulk();
  else c.out.bulk(c.name);
}

function clientInfo(c: Client): void {
  c.out.verbatim(`${describeClientLine(c)}\n`);
}

/** CLIENT LIST [TYPE type] [ID id [id ...]] */
function clientList(c: Client, argv: string[]): void {
  let type: ClientType | undefined;
  let ids: Set<number> | undefined;
  if (argv.length === 4 && argv[2]!.toLowerCase() === 'type') {
    type = parseClientType(argv[3]!);
    if (type === undefined) {
      c.out.error(`ERR Unknown client type '${argv[3]}'`);
      return;
    }
  } else if (argv.length >= 4 && argv[2]!.toLowerCase() === 'id') {
    ids = new Set();
    for (let i = 3; i < argv.length; i++) {
      const id = parseLong(argv[i]!);
      if (id === undefined) {
        c.out.error('ERR Invalid client ID');
        return;
      }
      ids.add(id);
    }
  } else if (argv.length !== 2) {
    c.out.error(Err.syntax);
    return;
  }
  let text = '';
  for (const other of c.server.clients) {
    if (type !== undefined && clientType(other) !== type) continue;
    if (ids !== undefined && !ids.has(other.id)) continue;
    text += `${describeClientLine(other)}\n`;
  }
  c.out.verbatim(text);
}

interface KillFilter {
  id?: number;
  type?: ClientType;
  addr?: string;
  laddr?: string;
  skipMe: boolean;
}

function matchesKillFilter(target: Client, self: Client, f: KillFilter): boolean {
  if (f.skipMe && target === self) return false;
  if (f.id !== undefined && target.id !== f.id) return false;
  if (f.type !== undefined && clientType(target) !== f.type) return false;
  if (f.addr !== undefined && target.address !== f.addr) return false;
  if (f.laddr !== undefined && target.localAddress !== f.laddr) return false;
  return true;
}

/**
 * CLIENT KILL ip:port (old form: OK or an error, may kill the caller) or CLIENT KILL <filter> <value>
 * ... (new form: the number killed; the caller is skipped unless SKIPME no).
 */
function clientKill(c: Client, argv: string[]): void {
  const server = c.server;
  if (argv.length === 3) {
    const target = [...server.clients].find((o) => o.address === argv[2]);
    if (target === undefined) {
      c.out.error('ERR No such client');
      return;
    }
    c.out.status('OK');
    killClient(server, c, target);
    return;
  }
  if (argv.length % 2 !== 0) {
    c.out.error(Err.syntax);
    return;
  }
  const filter: KillFilter = { skipMe: true };
  for (let i = 2; i < argv.length; i += 2) {
    const option = argv[i]!.toLowerCase();
    const value = argv[i + 1]!;
    if (option === 'id') {
      const id = parseLong(value);
      if (id === undefined || id <= 0) {
        c.out.error('ERR client-id should be greater than 0');
        return;
      }
      filter.id = id;
    } else if (option === 'type') {
      filter.type = parseClientType(value);
      if (filter.type === undefined) {
        c.out.error(`ERR Unknown client type '${value}'`);
        return;
      }
    } else if (option === 'addr') {
      filter.addr = value;
    } else if (option === 'laddr') {
      filter.laddr = value;
    } else if (option === 'user') {
      // Without ACLs every connection is the default user.
      if (value !== 'default') {
        c.out.error(`ERR No such user '${value}'`);
        return;
      }
    } else if (option === 'skipme') {
      const yesNo = value.toLowerCase();
      if (yesNo !== 'yes' && yesNo !== 'no') {
        c.out.error(Err.syntax);
        return;
      }
      filter.skipMe = yesNo === 'yes';
    } else {
      c.out.error(Err.syntax);
      return;
    }
  }
  const victims = [...server.clients].filter((o) => matchesKillFilter(o, c, filter));
  c.out.integer(victims.length);
  for (const victim of victims) killClient(server, c, victim);
}

/** Closes a client; the caller itself first gets its reply, as Redis's CLOSE_AFTER_REPLY. */
function killClient(server: Server, self: Client, target: Client): void {
  if (target === self) server.closeAfterReply(self);
  else server.freeClient(target);
}

/** CLIENT PAUSE timeout [WRITE|ALL]: a pause never shortens one already in force. */
function clientPause(c: Client, argv: string[]): void {
  const timeout = parseLong(argv[2]!);
  if (timeout === undefined) {
    c.out.error('ERR timeout is not an integer or out of range');
    return;
  }
  if (timeout < 0) {
    c.out.error('ERR timeout is negative');
    return;
  }
  let all = true;
  if (argv.length === 4) {
    const mode = argv[3]!.toLowerCase();
    if (mode === 'write') all = false;
    else if (mode !== 'all') {
      c.out.error('ERR CLIENT PAUSE mode must be WRITE or ALL');
      return;
    }
  } else if (argv.length > 4) {
    c.out.error(Err.syntax);
    return;
  }
  const server = c.server;
  const until = server.now() + timeout;
  if (all) server.pauseAllUntil = Math.max(server.pauseAllUntil, until);
  else server.pauseWritesUntil = Math.max(server.pauseWritesUntil, until);
  c.out.status('OK');
}

function clientUnpause(c: Client): void {
  const server = c.server;
  server.pauseAllUntil = 0;
  server.pauseWritesUntil = 0;
  c.out.status('OK');
  // Held-back clients run after this command has finished, not nested inside it.
  setImmediate(() => {
    if (!server.shuttingDown) server.resumePostponed();
  });
}

/** CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends a blocking command early. */
function clientUnblock(c: Client, argv: string[]): void {
  const id = parseLong(argv[2]!);
  if (id === undefined) {
    c.out.error(Err.notInteger);
    return;
  }
  let asError = false;
  if (argv.length === 4) {
    const mode = argv[3]!.toLowerCase();
    if (mode === 'error') asError = true;
    else if (mode !== 'timeout') {
      c.out.error('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
      return;
    }
  } else if (argv.length > 4) {
    c.out.error(Err.syntax);
    return;
  }
  const server = c.server;
  const target = [...server.blocking.clients].find((o) => o.id === id);
  if (target === undefined || target.blocked === undefined) {
    c.out.integer(0);
    return;
  }
  const state = target.blocked;
  server.blocking.remove(target);
  if (asError) target.out.error('UNBLOCKED client unblocked via CLIENT UNBLOCK');
  else state.onTimeout(target);
  c.out.integer(1);
  setImmediate(() => {
    if (target.closed) return;
    server.processQueue(target);
    server.endTurn();
  });
}

function clientNoEvict(c: Client, argv: string[]): void {
  const mode = argv[2]!.toLowerCase();
  if (mode !== 'on' && mode !== 'off') {
    c.out.error(Err.syntax);
    return;
  }
  c.flags.noEvict = mode === 'on';
  c.out.status('OK');
}

/** CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2; client libraries send it on connect). */
function clientSetinfo(c: Client, argv: string[]): void {
  const attr = argv[2]!.toLowerCase();
  const value = argv[3]!;
  if (attr !== 'lib-name' && attr !== 'lib-ver') {
    c.out.error(`ERR Unrecognized option '${argv[2]}'`);
    return;
  }
  if (!validClientName(value)) {
    c.out.error(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
    return;
  }
  if (attr === 'lib-name') c.libName = value;
  else c.libVer = value;
  c.out.status('OK');
}

/** CLIENT REPLY ON|OFF|SKIP: OFF and SKIP are not answered (that is their point). */
function clientReply(c: Client, argv: string[]): void {
  const mode = argv[2]!.toLowerCase();
  if (mode === 'on') {
    c.replyOff = false;
    c.replySkip = false;
    c.out.status('OK');
  } else if (mode === 'off') {
    c.replyOff = true;
  } else if (mode === 'skip') {
    if (!c.replyOff) c.replySkipNext = true;
  } else {
    c.out.error(Err.syntax);
  }
}

function clientGetredir(c: Client): void {
  c.out.integer(-1);
}

/** Client-side caching is not implemented: tracking is always off. */
function clientTrackinginfo(c: Client): void {
  c.out.mapHeader(3);
  c.out.bulk('flags');
  c.out.setHeader(1);
  c.out.bulk('off');
  c.out.bulk('redirect');
  c.out.integer(-1);
  c.out.bulk('prefixes');
  c.out.arrayHeader(0);
}

function clientHelp(c: Client): void {
  replyHelp(c, 'CLIENT', [
    'GETNAME',
    '    Return the name of the current connection.',
    'GETREDIR',
    '    Return the client ID we are redirecting to when tracking is enabled.',
    'ID',
    '    Return the ID of the current connection.',
    'INFO',
    '    Return information about the current client connection.',
    'KILL <ip:port>',
    '    Kill connection made from <ip:port>.',
    'KILL <option> <value> [<option> <value> [...]]',
    '    Kill connections. Options are:',
    '    * ADDR <ip:port>',
    '      Kill connections made from the specified address',
    '    * LADDR <ip:port>',
    '      Kill connections made to specified local address',
    '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
    '      Kill connections by type.',
    '    * USER <username>',
    '      Kill connections authenticated by <username>.',
    '    * SKIPME (YES|NO)',
    '      Skip killing current connection (default: yes).',
    'LIST [options ...]',
    '    Return information about client connections. Options:',
    '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
    '      Return clients of specified type.',
    'UNPAUSE',
    '    Stop the current client pause, resuming traffic.',
    'PAUSE <timeout> [WRITE|ALL]',
    '    Suspend all, or just write, clients for <timeout> milliseconds.',
    'REPLY (ON|OFF|SKIP)',
    '    Control the replies sent to the current connection.',
    'SETNAME <name>',
    '    Assign the name <name> to the current connection.',
    'SETINFO (LIB-NAME|LIB-VER) <value>',
    '    Set the client library name or version reported by CLIENT LIST.',
    'UNBLOCK <clientid> [TIMEOUT|ERROR]',
    '    Unblock the specified blocked client.',
    'TRACKINGINFO',
    '    Report tracking status for the current connection.',
    'NO-EVICT (ON|OFF)',
    '    Protect current client connection from eviction.',
  ]);
}

const PLAIN = ['noscript', 'loading', 'stale'] as const;
const ADMIN = ['admin', 'noscript', 'loading', 'stale'] as const;

export const clientCommands: CommandSpec[] = [
  cmd('client', -2, [], NO_KEYS, 'connection', dispatchedToSubcommands, {
    subcommands: [
      cmd('client|id', 2, PLAIN, NO_KEYS, 'connection', clientId),
      cmd('client|setname', 3, PLAIN, NO_KEYS, 'connection', clientSetname),
      cmd('client|getname', 2, PLAIN, NO_KEYS, 'connection', clientGetname),
      cmd('client|info', 2, PLAIN, NO_KEYS, 'connection', clientInfo),
      cmd('client|list', -2, ADMIN, NO_KEYS, 'connection', clientList),
      cmd('client|kill', -3, ADMIN, NO_KEYS, 'connection', clientKill),
      cmd('client|pause', -3, ADMIN, NO_KEYS, 'connection', clientPause),
      cmd('client|unpause', 2, ADMIN, NO_KEYS, 'connection', clientUnpause),
      cmd('client|unblock', -3, ADMIN, NO_KEYS, 'connection', clientUnblock),
      cmd('client|no-evict', 3, ADMIN, NO_KEYS, 'connection', clientNoEvict),
      cmd('client|setinfo', 4, PLAIN, NO_KEYS, 'connection', clientSetinfo),
      cmd('client|reply', 3, PLAIN, NO_KEYS, 'connection', clientReply),
      cmd('client|getredir', 2, PLAIN, NO_KEYS, 'connection', clientGetredir),
      cmd('client|trackinginfo', 2, PLAIN, NO_KEYS, 'connection', clientTrackinginfo),
      cmd('client|help', 2, ['loading', 'stale'], NO_KEYS, 'connection', clientHelp),
    ],
  }),
];
