import { persistenceCommands } from '../persistence/commands.js';
import { replicationCommands } from '../replication/commands.js';
import { connectionCommands } from './connection.js';
import { hashCommands } from './hashes.js';
import { keyCommands } from './keys.js';
import { listCommands } from './lists.js';
import { pubsubCommands } from './pubsub.js';
import { serverCommands } from './server.js';
import { setCommands } from './sets.js';
import { stringCommands } from './strings.js';
import type { CommandSpec } from './table.js';
import { transactionCommands } from './transactions.js';
import { zsetCommands } from './zsets.js';

/** Every command family; the table, COMMAND and INFO commandstats derive from this list. */
export function allCommands(): CommandSpec[] {
  return [
    ...connectionCommands,
    ...serverCommands,
    ...keyCommands,
    ...stringCommands,
    ...listCommands,
    ...hashCommands,
    ...setCommands,
    ...zsetCommands,
    ...transactionCommands,
    ...pubsubCommands,
    ...replicationCommands,
    ...persistenceCommands,
  ];
}
