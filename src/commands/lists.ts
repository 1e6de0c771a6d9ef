import type { CommandSpec } from './table.js';

export const listCommands: CommandSpec[] = [];
