import type { Client } from '../server/client.js';
import { dispatchedToSubcommands, replyHelp } from './help.js';
import { type CommandSpec, cmd, NO_KEYS } from './table.js';

/**
 * LATENCY: the latency monitor records no events here (latency-monitor-threshold is accepted but no
 * event is sampled), so every report is the empty one Redis gives before any event happened.
 */

function latencyDoctor(c: Client): void {
  c.out.verbatim(
    c.server.config.num('latency-monitor-threshold') === 0
      ? 'I\'m sorry, Dave, I can\'t do that. Latency monitoring is disabled in this Redis instance. You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it.\n'
      : 'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sleep tonight.\n',
  );
}

function latencyGraph(c: Client, argv: string[]): void {
  c.out.error(`ERR No samples available for event '${argv[2]}'`);
}

function latencyHistogram(c: Client): void {
  c.out.mapHeader(0);
}

function latencyHelp(c: Client): void {
  replyHelp(c, 'LATENCY', [
    'DOCTOR',
    '    Return a human readable latency analysis report.',
    'GRAPH <event>',
    '    Return an ASCII latency graph for the <event> class.',
    'HISTORY <event>',
    '    Return time-latency samples for the <event> class.',
    'LATEST',
    '    Return the latest latency samples for all events.',
    'RESET [<event> ...]',
    '    Reset latency data of one or more <event> classes.',
    '    (default: reset all data for all event classes)',
    'HISTOGRAM [COMMAND ...]',
    '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
    '    If no commands are specified then all histograms are replied.',
  ]);
}

const FLAGS = ['admin', 'noscript', 'loading', 'stale'] as const;

export const latencyCommands: CommandSpec[] = [
  cmd('latency', -2, [], NO_KEYS, 'server', dispatchedToSubcommands, {
    subcommands: [
      cmd('latency|latest', 2, FLAGS, NO_KEYS, 'server', (c) => c.out.arrayHeader(0)),
      cmd('latency|history', 3, FLAGS, NO_KEYS, 'server', (c) => c.out.arrayHeader(0)),
      cmd('latency|reset', -2, FLAGS, NO_KEYS, 'server', (c) => c.out.integer(0)),
      cmd('latency|doctor', 2, FLAGS, NO_KEYS, 'server', latencyDoctor),
      cmd('latency|graph', 3, FLAGS, NO_KEYS, 'server', latencyGraph),
      cmd('latency|histogram', -2, FLAGS, NO_KEYS, 'server', latencyHistogram),
      cmd('latency|help', 2, ['loading', 'stale'], NO_KEYS, 'server', latencyHelp),
    ],
  }),
];
