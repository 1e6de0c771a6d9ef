import type { Client } from './client.js';

export interface SlowlogEntry {
  id: number;
  time: number;
  usec: number;
  argv: string[];
  peer: string;
  name: string;
}

/** SLOWLOG: commands slower than slowlog-log-slower-than microseconds, newest first, bounded. */
export class Slowlog {
  readonly entries: SlowlogEntry[] = [];
  private nextId = 0;
  thresholdUsec = 10000;
  maxLen = 128;

  consider(c: Client, argv: string[], usec: number): void {
    if (this.thresholdUsec < 0 || usec < this.thresholdUsec) return;
    // Like Redis: at most 32 arguments, each at most 128 bytes, with a note of what was cut.
    const shown = argv
      .slice(0, argv.length > 32 ? 31 : 32)
      .map((a) => (a.length > 128 ? `${a.slice(0, 128)}... (${a.length - 128} more bytes)` : a));
    if (argv.length > 32) shown.push(`... (${argv.length - 31} more arguments)`);
    this.entries.unshift({
      id: this.nextId++,
      time: Math.floor(Date.now() / 1000),
      usec,
      argv: shown,
      peer: c.address,
      name: c.name,
    });
    if (this.entries.length > this.maxLen) this.entries.length = this.maxLen;
  }

  reset(): void {
    this.entries.length = 0;
  }
}
