import { ConfigError, findDirective } from '../config/config.js';
import type { Client } from '../server/client.js';
import { rewriteConfigFile } from './config-rewrite.js';
import { dispatchedToSubcommands, replyHelp } from './help.js';
import { type CommandSpec, cmd, NO_KEYS } from './table.js';
import { globMatch } from './util.js';

/**
 * CONFIG GET / SET / RESETSTAT / REWRITE. Values are validated and stored by the Config class; the
 * running server follows changes through Config.onChange listeners (server.ts and subsystems).
 */

/** Directives CONFIG SET refuses although a config file may set them (Redis marks them immutable). */
const IMMUTABLE_AT_RUNTIME = new Set(['replicaof', 'rename-command']);

function configGet(c: Client, argv: string[]): void {
  const config = c.server.config;
  const names: string[] = [];
  const seen = new Set<string>();
  for (let i = 2; i < argv.length; i++) {
    const pattern = argv[i]!.toLowerCase();
    const matches = /[*?[]/.test(pattern)
      ? config.namesMatching((name) => globMatch(pattern, name, true))
      : findDirective(pattern) && !findDirective(pattern)!.hidden
        ? [pattern]
        : [];
    for (const name of matches) {
      if (seen.has(name)) continue;
      seen.add(name);
      names.push(name);
    }
  }
  c.out.mapHeader(names.length);
  for (const name of names) {
    c.out.bulk(name);
    c.out.bulk(config.format(name));
  }
}

function setFailed(c: Client, name: string, reason: string): void {
  c.out.error(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${reason}`);
}

/**
 * CONFIG SET name value [name value ...]: all or nothing. Every name is checked first (unknown,
 * duplicate, immutable); values are then applied in order and, if one is refused, those already
 * applied are put back, so the server never runs with half a CONFIG SET.
 */
function configSet(c: Client, argv: string[]): void {
  if (argv.length % 2 !== 0) {
    c.out.error("ERR wrong number of arguments for 'config|set' command");
    return;
  }
  const config = c.server.config;
  const pairs: { name: string; canonical: string; value: string }[] = [];
  const canonicalSeen = new Set<string>();
  for (let i = 2; i < argv.length; i += 2) {
    const name = argv[i]!.toLowerCase();
    const directive = findDirective(name);
    if (directive === undefined || directive.hidden) {
      c.out.error(`ERR Unknown option or number of arguments for CONFIG SET - '${argv[i]}'`);
      return;
    }
    if (directive.immutable || IMMUTABLE_AT_RUNTIME.has(directive.name)) {
      setFailed(c, argv[i]!, "can't set immutable config");
      return;
    }
    if (canonicalSeen.has(directive.name)) {
      setFailed(c, argv[i]!, 'duplicate parameter');
      return;
    }
    canonicalSeen.add(directive.name);
    pairs.push({ name: argv[i]!, canonical: directive.name, value: argv[i + 1]! });
  }
  const applied: { canonical: string; previous: string }[] = [];
  for (const pair of pairs) {
    const previous = config.format(pair.canonical);
    try {
      config.set(pair.canonical, [pair.value], 'runtime');
      applied.push({ canonical: pair.canonical, previous });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const undo of applied.reverse()) config.set(undo.canonical, [undo.previous], 'runtime');
      setFailed(c, pair.name, err.message);
      return;
    }
  }
  c.out.status('OK');
}

/** CONFIG RESETSTAT: the counters INFO reports (stats, commandstats, errorstats, memory peak). */
function configResetstat(c: Client): void {
  const server = c.server;
  server.stats.reset();
  for (const command of server.commands.all()) {
    for (const counted of [command, ...(command.subcommands?.values() ?? [])]) {
      counted.calls = 0;
      counted.usec = 0;
      counted.rejectedCalls = 0;
      counted.failedCalls = 0;
    }
  }
  server.memory.peakBytes = 0;
  c.out.status('OK');
}

function configRewrite(c: Client): void {
  const config = c.server.config;
  if (config.configFile === undefined) {
    c.out.error('ERR The server is running without a config file');
    return;
  }
  try {
    rewriteConfigFile(config, config.configFile);
  } catch (err) {
    c.server.log.warning(`CONFIG REWRITE failed: ${(err as Error).message}`);
    c.out.error(`ERR Rewriting config file: ${(err as Error).message}`);
    return;
  }
  c.server.log.notice('CONFIG REWRITE executed with success.');
  c.out.status('OK');
}

function configHelp(c: Client): void {
  replyHelp(c, 'CONFIG', [
    'GET <pattern>',
    '    Return parameters matching the glob-like <pattern> and their values.',
    'SET <directive> <value>',
    '    Set the configuration <directive> to <value>.',
    'RESETSTAT',
    '    Reset statistics reported by the INFO command.',
    'REWRITE',
    '    Rewrite the configuration file.',
  ]);
}

const ADMIN = ['admin', 'noscript', 'loading', 'stale'] as const;

export const configCommands: CommandSpec[] = [
  cmd('config', -2, [], NO_KEYS, 'server', dispatchedToSubcommands, {
    subcommands: [
      cmd('config|get', -3, ADMIN, NO_KEYS, 'server', configGet),
      cmd('config|set', -4, ADMIN, NO_KEYS, 'server', configSet),
      cmd('config|resetstat', 2, ADMIN, NO_KEYS, 'server', configResetstat),
      cmd('config|rewrite', 2, ADMIN, NO_KEYS, 'server', configRewrite),
      cmd('config|help', 2, ['loading', 'stale'], NO_KEYS, 'server', configHelp),
    ],
  }),
];
