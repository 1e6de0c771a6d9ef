import type { Client } from '../server/client.js';

/**
 * The reply to `<CONTAINER> HELP`, shaped as Redis's addReplyHelp: a header line, the caller's lines,
 * then the HELP entry, each as a status string of an array.
 */
export function replyHelp(c: Client, container: string, lines: readonly string[]): void {
  const all = [
    `${container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`,
    ...lines,
    'HELP',
    '    Prints this help.',
  ];
  c.out.arrayHeader(all.length);
  for (const line of all) c.out.status(line);
}

/** Redis's addReplySubcommandSyntaxError, for a known subcommand given the wrong arguments. */
export function subcommandSyntaxError(c: Client, container: string, sub: string): void {
  c.out.error(
    `ERR unknown subcommand or wrong number of arguments for '${sub.slice(0, 128)}'. Try ${container} HELP.`,
  );
}

/**
 * The handler of a container command (CONFIG, CLIENT...): processCommand dispatches on the subcommand
 * and rejects the container alone by arity, so this never runs.
 */
export function dispatchedToSubcommands(): void {}
