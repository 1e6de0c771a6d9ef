import type { Client } from '../server/client.js';
import { type CommandSpec, cmd } from './table.js';

function del(c: Client, argv: string[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (c.db.delete(argv[i]!)) n++;
  c.server.dirty += n;
  c.out.integer(n);
}

function exists(c: Client, argv: string[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (c.db.exists(argv[i]!)) n++;
  c.out.integer(n);
}

export const keyCommands: CommandSpec[] = [
  cmd('del', -2, ['write'], [1, -1, 1], 'generic', del),
  cmd('unlink', -2, ['write', 'fast'], [1, -1, 1], 'generic', del),
  cmd('exists', -2, ['readonly', 'fast'], [1, -1, 1], 'generic', exists),
];
