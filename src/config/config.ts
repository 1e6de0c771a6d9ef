import {
  ACCEPTED_UNIMPLEMENTED,
  type ConfigValue,
  DIRECTIVES,
  type Directive,
  parseMemory,
  SPECIAL_DIRECTIVES,
} from './directives.js';

/** A config value that failed validation; the message is what Redis would say about it. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const BY_NAME = new Map<string, Directive>();
for (const d of [...DIRECTIVES, ...SPECIAL_DIRECTIVES]) {
  BY_NAME.set(d.name, d);
  for (const alias of d.aliases ?? []) BY_NAME.set(alias, d);
}

export function findDirective(name: string): Directive | undefined {
  return BY_NAME.get(name.toLowerCase());
}

export function isAcceptedUnimplemented(name: string): boolean {
  return ACCEPTED_UNIMPLEMENTED.has(name.toLowerCase());
}

export function allDirectives(): readonly Directive[] {
  return [...DIRECTIVES, ...SPECIAL_DIRECTIVES];
}

type Listener = (name: string, value: ConfigValue) => void;

/**
 * The live configuration. Values are typed (number, boolean, string); `get` by canonical name is a
 * Map lookup so hot paths may read it, but hot paths should cache what they read through onChange.
 */
export class Config {
  private readonly values = new Map<string, ConfigValue>();
  private readonly listeners: Listener[] = [];
  /** Directives present in the config file, for CONFIG REWRITE. */
  readonly fromFile = new Set<string>();
  configFile: string | undefined;

  constructor() {
    for (const d of allDirectives()) this.values.set(d.name, d.default);
  }

  get(name: string): ConfigValue {
    // Fast path for canonical names, which is how code reads config (some of it per command).
    const value = this.values.get(name);
    if (value !== undefined) return value;
    const d = findDirective(name);
    if (!d) throw new Error(`unknown config '${name}'`);
    return this.values.get(d.name)!;
  }

  num(name: string): number {
    return this.get(name) as number;
  }

  bool(name: string): boolean {
    return this.get(name) as boolean;
  }

  str(name: string): string {
    return this.get(name) as string;
  }

  onChange(listener: Listener): void {
    this.listeners.push(listener);
  }

  /**
   * Parses and stores a directive from its text arguments (config file, command line or CONFIG SET).
   * Throws ConfigError with Redis's wording when the value is invalid.
   */
  set(name: string, args: string[], source: 'file' | 'runtime' = 'runtime'): void {
    const d = findDirective(name);
    if (!d) throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
    if (source === 'runtime' && d.immutable) throw new ConfigError("can't set immutable config");
    const value = parseDirectiveValue(d, args);
    this.values.set(d.name, value);
    if (source === 'file') this.fromFile.add(d.name);
    for (const l of this.listeners) l(d.name, value);
  }

  /** CONFIG GET's text form of a value: yes/no for booleans, numbers in bytes. */
  format(name: string): string {
    const v = this.get(name);
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    return String(v);
  }

  /** Canonical names matching a glob (CONFIG GET pattern), aliases included as Redis does. */
  namesMatching(match: (name: string) => boolean): string[] {
    const out: string[] = [];
    for (const [name, d] of BY_NAME) {
      if (d.hidden) continue;
      if (match(name)) out.push(name);
    }
    return out;
  }
}

function parseDirectiveValue(d: Directive, args: string[]): ConfigValue {
  if (d.type === 'special') {
    const r = d.parse(args);
    if ('error' in r) throw new ConfigError(r.error);
    return r.value;
  }
  if (d.type === 'string' && d.multiWord) {
    if (args.length === 0) throw new ConfigError('wrong number of arguments');
    return args.join(' ');
  }
  if (args.length !== 1) throw new ConfigError('wrong number of arguments');
  const text = args[0]!;
  switch (d.type) {
    case 'string':
      if (d.validate) {
        const err = d.validate(text);
        if (err) throw new ConfigError(err);
      }
      return text;
    case 'bool': {
      const t = text.toLowerCase();
      if (t === 'yes') return true;
      if (t === 'no') return false;
      throw new ConfigError("argument must be 'yes' or 'no'");
    }
    case 'enum': {
      const t = text.toLowerCase();
      if (!d.values.includes(t))
        throw new ConfigError(`argument(s) must be one of the following: ${d.values.join(', ')}`);
      return t;
    }
    case 'int': {
      const n = d.memory ? parseMemory(text) : /^-?\d+$/.test(text) ? Number(text) : undefined;
      if (n === undefined || !Number.isSafeInteger(n))
        throw new ConfigError("argument couldn't be parsed into an integer");
      if (n < d.min || n > d.max)
        throw new ConfigError(`argument must be between ${d.min} and ${d.max} inclusive`);
      return d.clamp ? Math.min(d.clamp[1], Math.max(d.clamp[0], n)) : n;
    }
  }
}
