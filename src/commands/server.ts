import { clientCommands } from './client-cmd.js';
import { commandCommands } from './command-cmd.js';
import { configCommands } from './config-cmd.js';
import { debugCommands } from './debug.js';
import { latencyCommands } from './latency-cmd.js';
import { memoryCommands } from './memory-cmd.js';
import { serverAdminCommands } from './server-admin.js';
import { infoCommands } from './server-info.js';
import { keyspaceAdminCommands } from './server-keyspace.js';
import { slowlogCommands } from './slowlog-cmd.js';
import type { CommandSpec } from './table.js';

/** The server-administration family: introspection, configuration and whole-server commands. */
export const serverCommands: CommandSpec[] = [
  ...infoCommands,
  ...configCommands,
  ...clientCommands,
  ...commandCommands,
  ...debugCommands,
  ...keyspaceAdminCommands,
  ...serverAdminCommands,
  ...slowlogCommands,
  ...latencyCommands,
  ...memoryCommands,
];
