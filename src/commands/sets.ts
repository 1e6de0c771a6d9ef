import type { CommandSpec } from './table.js';

export const setCommands: CommandSpec[] = [];
