import type { Client } from '../server/client.js';
import { dispatchedToSubcommands, replyHelp } from './help.js';
import { type CommandSpec, cmd, NO_KEYS } from './table.js';
import { parseLong } from './util.js';

/** SLOWLOG GET / LEN / RESET over the server's Slowlog (filled by call()). */

function slowlogGet(c: Client, argv: string[]): void {
  let count = 10;
  if (argv.length === 3) {
    const n = parseLong(argv[2]!);
    if (n === undefined || n < -1) {
      c.out.error('ERR count should be greater than or equal to -1');
      return;
    }
    count = n;
  }
  const entries = c.server.slowlog.entries;
  const shown = count === -1 ? entries : entries.slice(0, count);
  const out = c.out;
  out.arrayHeader(shown.length);
  for (const e of shown) {
    out.arrayHeader(6);
    out.integer(e.id);
    out.integer(e.time);
    out.integer(e.usec);
    out.bulkArray(e.argv);
    out.bulk(e.peer);
    out.bulk(e.name);
  }
}

function slowlogHelp(c: Client): void {
  replyHelp(c, 'SLOWLOG', [
    'GET [<count>]',
    '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
    '    Entries are made of:',
    '    id, timestamp, time in microseconds, arguments array, client IP and port,',
    '    client name',
    'LEN',
    '    Return the length of the slowlog.',
    'RESET',
    '    Reset the slowlog.',
  ]);
}

const FLAGS = ['admin', 'loading', 'stale'] as const;

export const slowlogCommands: CommandSpec[] = [
  cmd('slowlog', -2, [], NO_KEYS, 'server', dispatchedToSubcommands, {
    subcommands: [
      cmd('slowlog|get', -2, FLAGS, NO_KEYS, 'server', slowlogGet),
      cmd('slowlog|len', 2, FLAGS, NO_KEYS, 'server', (c) => c.out.integer(c.server.slowlog.entries.length)),
      cmd('slowlog|reset', 2, FLAGS, NO_KEYS, 'server', (c) => {
        c.server.slowlog.reset();
        c.out.status('OK');
      }),
      cmd('slowlog|help', 2, ['loading', 'stale'], NO_KEYS, 'server', slowlogHelp),
    ],
  }),
];
