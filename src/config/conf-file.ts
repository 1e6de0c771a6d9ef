import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { splitInline } from '../resp/request-parser.js';

/** One directive line of a redis.conf, with where it came from for error messages. */
export interface ConfLine {
  file: string;
  line: number;
  name: string;
  args: string[];
}

export class ConfFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly text: string,
    reason: string,
  ) {
    super(
      `*** FATAL CONFIG FILE ERROR *** Reading the configuration file, at line ${line}\n>>> '${text}'\n${reason} (in ${file})`,
    );
    this.name = 'ConfFileError';
  }
}

/**
 * Reads redis.conf syntax: one directive per line, arguments split like redis-cli input (quotes and
 * escapes), `#` comments, and `include <path>` (relative to the including file's directory), with a
 * guard against include cycles.
 */
export function readConfFile(path: string, seen: Set<string> = new Set()): ConfLine[] {
  const abs = resolve(path);
  if (seen.has(abs)) throw new ConfFileError(abs, 0, `include ${path}`, 'include cycle');
  seen.add(abs);
  let text: string;
  try {
    text = readFileSync(abs, 'latin1');
  } catch (err) {
    throw new Error(
      `Fatal error, can't open config file '${path}': ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
  return parseConfText(text, abs, seen);
}

export function parseConfText(text: string, file: string, seen: Set<string> = new Set()): ConfLine[] {
  const out: ConfLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    let args: string[];
    try {
      args = splitInline(trimmed);
    } catch {
      throw new ConfFileError(file, i + 1, trimmed, 'Unbalanced quotes in configuration line');
    }
    if (args.length === 0) continue;
    const name = args[0]!.toLowerCase();
    if (name === 'include') {
      if (args.length !== 2) throw new ConfFileError(file, i + 1, trimmed, 'wrong number of arguments');
      const target = isAbsolute(args[1]!) ? args[1]! : resolve(dirname(file), args[1]!);
      out.push(...readConfFile(target, seen));
      continue;
    }
    out.push({ file, line: i + 1, name, args: args.slice(1) });
  }
  return out;
}

/**
 * Turns `--port 7000 --save "" --replicaof host 6379` into directive lines, the way redis-server joins
 * command-line options into a config text: each `--name` starts a directive and the following
 * non-`--` words are its arguments.
 */
export function parseCommandLineOptions(argv: string[]): ConfLine[] {
  const out: ConfLine[] = [];
  let current: ConfLine | undefined;
  for (const arg of argv) {
    if (arg.startsWith('--') && arg.length > 2 && !/^--\d/.test(arg)) {
      current = { file: '(command line)', line: out.length + 1, name: arg.slice(2).toLowerCase(), args: [] };
      out.push(current);
    } else if (current) {
      current.args.push(arg);
    } else {
      throw new Error(`Invalid option '${arg}': options start with --, e.g. --port 7000`);
    }
  }
  return out;
}
