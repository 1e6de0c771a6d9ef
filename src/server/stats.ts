/** INFO stats counters (Redis's server.stat_*). */
export class Stats {
  connectionsReceived = 0;
  commandsProcessed = 0;
  rejectedConnections = 0;
  netInputBytes = 0;
  netOutputBytes = 0;
  expiredKeys = 0;
  evictedKeys = 0;
  keyspaceHits = 0;
  keyspaceMisses = 0;
  errorReplies = 0;
  /** Error replies by code prefix (ERR, WRONGTYPE...), for INFO errorstats. */
  readonly errorsByCode = new Map<string, number>();
  syncFull = 0;
  syncPartialOk = 0;
  syncPartialErr = 0;

  /** Instantaneous ops/sec: samples of (time, commands) over the last ~1.6 s, as Redis keeps 16. */
  private readonly samples: [number, number][] = [];

  sample(now: number): void {
    this.samples.push([now, this.commandsProcessed]);
    if (this.samples.length > 16) this.samples.shift();
  }

  get instantaneousOps(): number {
    if (this.samples.length < 2) return 0;
    const [t0, c0] = this.samples[0]!;
    const [t1, c1] = this.samples[this.samples.length - 1]!;
    return t1 > t0 ? Math.round(((c1 - c0) * 1000) / (t1 - t0)) : 0;
  }

  countError(message: string): void {
    this.errorReplies++;
    const sp = message.indexOf(' ');
    const code = sp > 0 ? message.slice(0, sp) : message;
    this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + 1);
  }

  reset(): void {
    this.commandsProcessed = 0;
    this.connectionsReceived = 0;
    this.rejectedConnections = 0;
    this.netInputBytes = 0;
    this.netOutputBytes = 0;
    this.expiredKeys = 0;
    this.evictedKeys = 0;
    this.keyspaceHits = 0;
    this.keyspaceMisses = 0;
    this.errorReplies = 0;
    this.errorsByCode.clear();
    this.syncFull = 0;
    this.syncPartialOk = 0;
    this.syncPartialErr = 0;
  }
}
