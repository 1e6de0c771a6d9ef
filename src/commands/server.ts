import type { CommandSpec } from './table.js';

export const serverCommands: CommandSpec[] = [];
