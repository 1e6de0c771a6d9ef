import type { Client } from '../server/client.js';

/**
 * Command flags, named as in Redis 7.0's COMMAND output. Policy in processCommand derives from them:
 * `write` commands are refused on read-only replicas and propagated; `denyoom` ones are refused over
 * maxmemory; `loading`/`stale` ones run while loading / with a stale replica; `noscript`,`no_multi`...
 */
export type CommandFlag =
  | 'write'
  | 'readonly'
  | 'denyoom'
  | 'admin'
  | 'pubsub'
  | 'noscript'
  | 'blocking'
  | 'loading'
  | 'stale'
  | 'skip_monitor'
  | 'skip_slowlog'
  | 'fast'
  | 'no_auth'
  | 'may_replicate'
  | 'no_multi'
  | 'allow_busy'
  | 'sort_for_script'
  | 'no_mandatory_keys'
  | 'no_async_loading';

export type CommandHandler = (c: Client, argv: string[]) => void;

export interface CommandSpec {
  /** Lower case, as COMMAND reports it; for subcommands `container|sub`. */
  name: string;
  /** Redis convention: N means exactly N arguments (including the name), -N means at least N. */
  arity: number;
  flags: readonly CommandFlag[];
  /** Key positions: first, last (-1 = last argument, -2 = the one before...), step. 0,0,0 = no keys. */
  firstKey: number;
  lastKey: number;
  step: number;
  /** Documentation group (string, list, hash, set, sorted-set, generic, connection, server, ...). */
  group: string;
  /** ACL categories without the `@`, beyond those derived from flags (e.g. `string`, `fast`). */
  acl?: readonly string[];
  /** Keys for commands whose key positions the first/last/step triple cannot describe (numkeys). */
  getKeys?: (argv: string[]) => number[];
  handler: CommandHandler;
  /** Container commands (CONFIG, CLIENT, OBJECT...) dispatch on argv[1]. */
  subcommands?: readonly CommandSpec[];
}

/** Shorthand for family files: `cmd('get', 2, ['readonly', 'fast'], [1, 1, 1], 'string', getCommand)`. */
export function cmd(
  name: string,
  arity: number,
  flags: readonly CommandFlag[],
  keys: readonly [number, number, number],
  group: string,
  handler: CommandHandler,
  extra: Partial<Pick<CommandSpec, 'getKeys' | 'subcommands' | 'acl'>> = {},
): CommandSpec {
  return { name, arity, flags, firstKey: keys[0], lastKey: keys[1], step: keys[2], group, handler, ...extra };
}

export const NO_KEYS = [0, 0, 0] as const;

/** The positions of the keys in argv, from the spec's triple or its getKeys. */
export function commandKeys(spec: CommandSpec, argv: string[]): number[] {
  if (spec.getKeys) return spec.getKeys(argv);
  if (spec.firstKey === 0) return [];
  const last = spec.lastKey < 0 ? argv.length + spec.lastKey : spec.lastKey;
  const out: number[] = [];
  for (let i = spec.firstKey; i <= last && i < argv.length; i += spec.step) out.push(i);
  return out;
}

/** A registered command: its spec plus what dispatch reads on every call, precomputed. */
export class Command {
  readonly write: boolean;
  readonly denyOom: boolean;
  readonly stale: boolean;
  readonly loading: boolean;
  readonly noAuth: boolean;
  readonly pubsub: boolean;
  readonly noMulti: boolean;
  readonly admin: boolean;
  readonly mayReplicate: boolean;
  readonly skipMonitor: boolean;
  readonly skipSlowlog: boolean;
  readonly subcommands: Map<string, Command> | undefined;
  /** INFO commandstats. */
  calls = 0;
  usec = 0;
  rejectedCalls = 0;
  failedCalls = 0;

  constructor(
    readonly spec: CommandSpec,
    readonly parent?: Command,
  ) {
    const has = (f: CommandFlag) => spec.flags.includes(f);
    this.write = has('write');
    this.denyOom = has('denyoom');
    this.stale = has('stale');
    this.loading = has('loading');
    this.noAuth = has('no_auth');
    this.pubsub = has('pubsub');
    this.noMulti = has('no_multi');
    this.admin = has('admin');
    this.mayReplicate = has('may_replicate');
    this.skipMonitor = has('skip_monitor');
    this.skipSlowlog = has('skip_slowlog');
    this.subcommands = spec.subcommands
      ? new Map(
          spec.subcommands.map((sub) => [sub.name.slice(sub.name.indexOf('|') + 1), new Command(sub, this)]),
        )
      : undefined;
  }

  get name(): string {
    return this.spec.name;
  }

  /** `get`, or `config|get` for subcommands: the name INFO commandstats and errors use. */
  get fullName(): string {
    return this.spec.name;
  }
}

export function hasFlag(spec: CommandSpec, flag: CommandFlag): boolean {
  return spec.flags.includes(flag);
}

/** The dispatch table: the one place every command is registered. */
export class CommandTable {
  private readonly byName = new Map<string, Command>();
  /** Clients mostly send names in upper case: a second map spares lowercasing on the hot path. */
  private readonly byUpperName = new Map<string, Command>();

  register(specs: readonly CommandSpec[]): void {
    for (const spec of specs) {
      if (this.byName.has(spec.name)) throw new Error(`command '${spec.name}' registered twice`);
      const command = new Command(spec);
      this.byName.set(spec.name, command);
      this.byUpperName.set(spec.name.toUpperCase(), command);
    }
  }

  /** Looks a command up by its (any case) name. */
  lookup(name: string): Command | undefined {
    return this.byName.get(name) ?? this.byUpperName.get(name) ?? this.byName.get(name.toLowerCase());
  }

  get size(): number {
    return this.byName.size;
  }

  all(): IterableIterator<Command> {
    return this.byName.values();
  }
}
