import { connect, createServer, type Server, type Socket } from 'node:net';

export interface ProxyOptions {
  /** Delay every forwarded chunk by this many ms (order is kept). */
  delayMs?: number;
  /** Forward data in pieces of at most this many bytes (exercises parsers on split packets). */
  splitBytes?: number;
}

/**
 * A TCP proxy on 127.0.0.1 for replication tests: forwards to `target`, and can cut every connection
 * through it (a network failure as both ends see it), refuse new ones, delay and split packets.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<[Socket, Socket]>();
  port = 0;
  /** While true, new connections are closed at once. */
  refuse = false;
  /** While true, data is held (not forwarded) in both directions: a stalled peer. */
  stalled = false;
  private readonly held: (() => void)[] = [];

  constructor(
    private readonly targetPort: number,
    private readonly options: ProxyOptions = {},
  ) {}

  async start(): Promise<number> {
    this.server = createServer((inbound) => this.accept(inbound));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
    return this.port;
  }

  private accept(inbound: Socket): void {
    if (this.refuse) {
      inbound.destroy();
      return;
    }
    const outbound = connect({ host: '127.0.0.1', port: this.targetPort });
    const pair: [Socket, Socket] = [inbound, outbound];
    this.pairs.add(pair);
    const close = () => {
      this.pairs.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    this.pipe(inbound, outbound);
    this.pipe(outbound, inbound);
    inbound.on('close', close);
    outbound.on('close', close);
    inbound.on('error', close);
    outbound.on('error', close);
  }

  private pipe(from: Socket, to: Socket): void {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      chain = chain.then(async () => {
        if (this.options.delayMs) await new Promise((r) => setTimeout(r, this.options.delayMs));
        while (this.stalled) await new Promise<void>((r) => this.held.push(r));
        const step = this.options.splitBytes ?? chunk.length;
        for (let i = 0; i < chunk.length; i += step) {
          if (to.destroyed) return;
          to.write(chunk.subarray(i, i + step));
          if (this.options.splitBytes) await new Promise((r) => setImmediate(r));
        }
      });
    });
  }

  /** Releases stalled data. */
  resume(): void {
    this.stalled = false;
    for (const r of this.held.splice(0)) r();
  }

  /** Cuts every connection currently open through the proxy. */
  cutAll(): void {
    for (const [a, b] of [...this.pairs]) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  get connections(): number {
    return this.pairs.size;
  }

  async stop(): Promise<void> {
    this.resume();
    this.cutAll();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
