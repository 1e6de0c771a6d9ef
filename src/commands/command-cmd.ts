import type { Client } from '../server/client.js';
import { replyHelp } from './help.js';
import { type Command, type CommandFlag, type CommandSpec, cmd, commandKeys, NO_KEYS } from './table.js';
import { Err, globMatch } from './util.js';

/**
 * COMMAND and its subcommands, derived from the command table: every family's specs describe
 * themselves, so what COMMAND reports is what dispatch enforces.
 */

/** ACL categories in the order Redis lists them. */
const CATEGORY_ORDER = [
  'keyspace',
  'read',
  'write',
  'set',
  'sortedset',
  'list',
  'hash',
  'string',
  'bitmap',
  'hyperloglog',
  'geo',
  'stream',
  'pubsub',
  'admin',
  'fast',
  'slow',
  'blocking',
  'dangerous',
  'connection',
  'transaction',
  'scripting',
] as const;

/** The category a command's documentation group implies (Redis's JSON files state these per command). */
const GROUP_CATEGORY: Record<string, string> = {
  generic: 'keyspace',
  string: 'string',
  list: 'list',
  hash: 'hash',
  set: 'set',
  'sorted-set': 'sortedset',
  bitmap: 'bitmap',
  hyperloglog: 'hyperloglog',
  geo: 'geo',
  stream: 'stream',
  pubsub: 'pubsub',
  connection: 'connection',
  transactions: 'transaction',
  scripting: 'scripting',
};

/** Flags Redis keeps out of COMMAND's reply (may_replicate and friends are "hidden on purpose"). */
const HIDDEN_FLAGS = new Set<CommandFlag>(['may_replicate', 'sort_for_script']);

/** The ACL categories of a command: its group's, its flags' (Redis's setImplicitACLCategories), its own. */
export function aclCategories(command: Command): string[] {
  const spec = command.spec;
  const has = (f: CommandFlag) => spec.flags.includes(f);
  const cats = new Set<string>(spec.acl ?? []);
  // A container's own entry carries no group category: its subcommands do.
  const group = command.subcommands === undefined ? GROUP_CATEGORY[spec.group] : undefined;
  if (group !== undefined) cats.add(group);
  if (has('write')) cats.add('write');
  if (has('readonly') && !cats.has('scripting')) cats.add('read');
  if (has('admin')) {
    cats.add('admin');
    cats.add('dangerous');
  }
  if (has('pubsub')) cats.add('pubsub');
  if (has('fast')) cats.add('fast');
  if (has('blocking')) cats.add('blocking');
  if (!has('fast')) cats.add('slow');
  return CATEGORY_ORDER.filter((c) => cats.has(c));
}

function replyFlags(c: Client, spec: CommandSpec): void {
  const flags: string[] = spec.flags.filter((f) => !HIDDEN_FLAGS.has(f));
  if (spec.getKeys !== undefined) flags.push('movablekeys');
  c.out.setHeader(flags.length);
  for (const f of flags) c.out.status(f);
}

/** Key-spec flags derived from the command's nature (Redis's JSON files are finer grained). */
function keySpecFlags(spec: CommandSpec): string[] {
  if (spec.flags.includes('write')) return ['RW', 'update'];
  return ['RO', 'access'];
}

/** One key spec from the first/last/step triple: an index search then a range, as Redis describes it. */
function replyKeySpecs(c: Client, spec: CommandSpec): void {
  if (spec.firstKey === 0) {
    c.out.setHeader(0);
    return;
  }
  const out = c.out;
  out.setHeader(1);
  out.mapHeader(3);
  out.bulk('flags');
  const flags = keySpecFlags(spec);
  out.setHeader(flags.length);
  for (const f of flags) out.status(f);
  out.bulk('begin_search');
  out.mapHeader(2);
  out.bulk('type');
  out.bulk('index');
  out.bulk('spec');
  out.mapHeader(1);
  out.bulk('index');
  out.integer(spec.firstKey);
  out.bulk('find_keys');
  out.mapHeader(2);
  out.bulk('type');
  out.bulk('range');
  out.bulk('spec');
  out.mapHeader(3);
  out.bulk('lastkey');
  out.integer(spec.lastKey < 0 ? spec.lastKey : spec.lastKey - spec.firstKey);
  out.bulk('keystep');
  out.integer(spec.step);
  out.bulk('limit');
  out.integer(0);
}

/** Redis 7.0's 10-element command description. */
function replyCommandInfo(c: Client, command: Command): void {
  const spec = command.spec;
  const out = c.out;
  out.arrayHeader(10);
  out.bulk(spec.name);
  out.integer(spec.arity);
  replyFlags(c, spec);
  out.integer(spec.firstKey);
  out.integer(spec.lastKey);
  out.integer(spec.step);
  const cats = aclCategories(command);
  out.setHeader(cats.length);
  for (const cat of cats) out.status(`@${cat}`);
  out.setHeader(0); // tips
  replyKeySpecs(c, spec);
  if (command.subcommands === undefined) {
    out.setHeader(0);
  } else {
    out.arrayHeader(command.subcommands.size);
    for (const sub of command.subcommands.values()) replyCommandInfo(c, sub);
  }
}

/** Looks up `name` or `container|sub`, any case. */
function findCommand(c: Client, name: string): Command | undefined {
  const bar = name.indexOf('|');
  if (bar === -1) return c.server.lookupCommand(name);
  return c.server.lookupCommand(name.slice(0, bar))?.subcommands?.get(name.slice(bar + 1).toLowerCase());
}

function commandAll(c: Client): void {
  const all = [...c.server.commands.all()];
  c.out.arrayHeader(all.length);
  for (const command of all) replyCommandInfo(c, command);
}

function commandInfo(c: Client, argv: string[]): void {
  if (argv.length === 2) {
    commandAll(c);
    return;
  }
  c.out.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const command = findCommand(c, argv[i]!);
    if (command === undefined) c.out.nullBulk();
    else replyCommandInfo(c, command);
  }
}

function commandCount(c: Client): void {
  c.out.integer(c.server.commands.size);
}

/** Every command and subcommand name, for COMMAND LIST. */
function allNames(c: Client): { name: string; command: Command }[] {
  const out: { name: string; command: Command }[] = [];
  for (const command of c.server.commands.all()) {
    out.push({ name: command.name, command });
    for (const sub of command.subcommands?.values() ?? []) out.push({ name: sub.name, command: sub });
  }
  return out;
}

/** COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern] */
function commandList(c: Client, argv: string[]): void {
  let keep: (entry: { name: string; command: Command }) => boolean = () => true;
  if (argv.length === 5 && argv[2]!.toLowerCase() === 'filterby') {
    const kind = argv[3]!.toLowerCase();
    const value = argv[4]!;
    if (kind === 'module')
      keep = () => false; // no modules
    else if (kind === 'aclcat') keep = (e) => aclCategories(e.command).includes(value.toLowerCase());
    else if (kind === 'pattern') keep = (e) => globMatch(value, e.name, true);
    else {
      c.out.error(Err.syntax);
      return;
    }
  } else if (argv.length !== 2) {
    c.out.error(Err.syntax);
    return;
  }
  c.out.bulkArray(
    allNames(c)
      .filter(keep)
      .map((e) => e.name),
  );
}

/** COMMAND DOCS: what the table knows (group and subcommands); summaries are not kept. */
function replyDocs(c: Client, command: Command): void {
  const subs = command.subcommands;
  c.out.mapHeader(subs === undefined ? 1 : 2);
  c.out.bulk('group');
  c.out.bulk(command.spec.group);
  if (subs !== undefined) {
    c.out.bulk('subcommands');
    c.out.mapHeader(subs.size);
    for (const sub of subs.values()) {
      c.out.bulk(sub.name);
      replyDocs(c, sub);
    }
  }
}

function commandDocs(c: Client, argv: string[]): void {
  const commands: Command[] = [];
  if (argv.length === 2) commands.push(...c.server.commands.all());
  for (let i = 2; i < argv.length; i++) {
    const command = findCommand(c, argv[i]!);
    if (command !== undefined) commands.push(command);
  }
  c.out.mapHeader(commands.length);
  for (const command of commands) {
    c.out.bulk(command.name);
    replyDocs(c, command);
  }
}

/** Shared by GETKEYS and GETKEYSANDFLAGS: the command's key positions in the given argv, or a reply. */
function keysOf(c: Client, argv: string[]): { spec: CommandSpec; positions: number[] } | undefined {
  const args = argv.slice(2);
  let command = c.server.lookupCommand(args[0]!);
  if (command?.subcommands !== undefined && args.length >= 2) {
    command = command.subcommands.get(args[1]!.toLowerCase()) ?? command;
  }
  if (command === undefined) {
    c.out.error('ERR Invalid command specified');
    return undefined;
  }
  const arity = command.spec.arity;
  if ((arity > 0 && args.length !== arity) || args.length < -arity) {
    c.out.error('ERR Invalid number of arguments specified for command');
    return undefined;
  }
  const positions = commandKeys(command.spec, args);
  if (positions.length === 0) {
    c.out.error('ERR The command has no key arguments');
    return undefined;
  }
  return { spec: command.spec, positions };
}

function commandGetkeys(c: Client, argv: string[]): void {
  const found = keysOf(c, argv);
  if (found === undefined) return;
  c.out.bulkArray(found.positions.map((i) => argv[i + 2]!));
}

function commandGetkeysandflags(c: Client, argv: string[]): void {
  const found = keysOf(c, argv);
  if (found === undefined) return;
  const flags = keySpecFlags(found.spec);
  c.out.arrayHeader(found.positions.length);
  for (const i of found.positions) {
    c.out.arrayHeader(2);
    c.out.bulk(argv[i + 2]!);
    c.out.setHeader(flags.length);
    for (const f of flags) c.out.status(f);
  }
}

function commandHelp(c: Client): void {
  replyHelp(c, 'COMMAND', [
    '(no subcommand)',
    '    Return details about all Redis commands.',
    'COUNT',
    '    Return the total number of commands in this Redis server.',
    'LIST',
    '    Return a list of all commands in this Redis server.',
    'INFO [<command-name> ...]',
    '    Return details about multiple Redis commands.',
    '    If no command names are given, documentation details for all',
    '    commands are returned.',
    'DOCS [<command-name> ...]',
    '    Return documentation details about multiple Redis commands.',
    '    If no command names are given, documentation details for all',
    '    commands are returned.',
    'GETKEYS <full-command>',
    '    Return the keys from a full Redis command.',
    'GETKEYSANDFLAGS <full-command>',
    '    Return the keys and the access flags from a full Redis command.',
  ]);
}

const FLAGS = ['loading', 'stale'] as const;
const CATS = { acl: ['connection'] };

export const commandCommands: CommandSpec[] = [
  cmd('command', -1, FLAGS, NO_KEYS, 'server', commandAll, {
    ...CATS,
    subcommands: [
      cmd('command|count', 2, FLAGS, NO_KEYS, 'server', commandCount, CATS),
      cmd('command|info', -2, FLAGS, NO_KEYS, 'server', commandInfo, CATS),
      cmd('command|list', -2, FLAGS, NO_KEYS, 'server', commandList, CATS),
      cmd('command|docs', -2, FLAGS, NO_KEYS, 'server', commandDocs, CATS),
      cmd('command|getkeys', -4, FLAGS, NO_KEYS, 'server', commandGetkeys, CATS),
      cmd('command|getkeysandflags', -4, FLAGS, NO_KEYS, 'server', commandGetkeysandflags, CATS),
      cmd('command|help', 2, FLAGS, NO_KEYS, 'server', commandHelp, CATS),
    ],
  }),
];
