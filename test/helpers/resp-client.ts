import { connect, type Socket } from 'node:net';

/**
 * A minimal RESP2/RESP3 client that keeps every reply's exact type (status vs bulk, null kinds, maps),
 * for tests that compare reply shapes byte for byte with a real Redis. Strings are latin1 (one char per
 * byte), so binary values round-trip.
 */
export type Reply =
  | { type: 'status'; value: string }
  | { type: 'error'; value: string }
  | { type: 'int'; value: bigint }
  | { type: 'bulk'; value: string }
  | { type: 'null' }
  | { type: 'nullarray' }
  | { type: 'double'; value: string }
  | { type: 'bool'; value: boolean }
  | { type: 'verbatim'; value: string }
  | { type: 'array' | 'set' | 'push'; value: Reply[] }
  | { type: 'map'; value: [Reply, Reply][] };

export class RespClient {
  private buffer = Buffer.alloc(0);
  private readonly waiting: ((r: Reply) => void)[] = [];
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const parsed = parseReply(this.buffer, 0);
        if (parsed === undefined) break;
        this.buffer = this.buffer.subarray(parsed.end);
        this.waiting.shift()?.(parsed.reply);
      }
    });
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<RespClient> {
    const socket = connect({ port, host });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    return new RespClient(socket);
  }

  call(...args: (string | number)[]): Promise<Reply> {
    const parts = [`*${args.length}\r\n`];
    for (const a of args) {
      const s = String(a);
      parts.push(`$${Buffer.byteLength(s, 'latin1')}\r\n${s}\r\n`);
    }
    this.socket.write(Buffer.from(parts.join(''), 'latin1'));
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }
}

function lineEnd(buf: Buffer, from: number): number {
  const i = buf.indexOf('\r\n', from, 'latin1');
  return i;
}

function parseReply(buf: Buffer, pos: number): { reply: Reply; end: number } | undefined {
  if (pos >= buf.length) return undefined;
  const eol = lineEnd(buf, pos);
  if (eol < 0) return undefined;
  const kind = String.fromCharCode(buf[pos]!);
  const line = buf.toString('latin1', pos + 1, eol);
  const next = eol + 2;
  switch (kind) {
    case '+':
      return { reply: { type: 'status', value: line }, end: next };
    case '-':
      return { reply: { type: 'error', value: line }, end: next };
    case ':':
      return { reply: { type: 'int', value: BigInt(line) }, end: next };
    case ',':
      return { reply: { type: 'double', value: line }, end: next };
    case '#':
      return { reply: { type: 'bool', value: line === 't' }, end: next };
    case '_':
      return { reply: { type: 'null' }, end: next };
    case '$':
    case '=': {
      const n = Number(line);
      if (n < 0) return { reply: { type: 'null' }, end: next };
      if (buf.length < next + n + 2) return undefined;
      const value = buf.toString('latin1', next, next + n);
      return {
        reply: kind === '$' ? { type: 'bulk', value } : { type: 'verbatim', value },
        end: next + n + 2,
      };
    }
    case '*':
    case '~':
    case '>':
    case '%': {
      const n = Number(line);
      if (n < 0) return { reply: { type: 'nullarray' }, end: next };
      const count = kind === '%' ? n * 2 : n;
      const items: Reply[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, at);
        if (item === undefined) return undefined;
        items.push(item.reply);
        at = item.end;
      }
      if (kind === '%') {
        const pairs: [Reply, Reply][] = [];
        for (let i = 0; i < items.length; i += 2) pairs.push([items[i]!, items[i + 1]!]);
        return { reply: { type: 'map', value: pairs }, end: at };
      }
      const type = kind === '*' ? 'array' : kind === '~' ? 'set' : 'push';
      return { reply: { type, value: items }, end: at };
    }
    default:
      throw new Error(`unexpected RESP type byte '${kind}'`);
  }
}

/** A compact, readable rendering of a reply for assertions and diff messages. */
export function show(r: Reply): string {
  switch (r.type) {
    case 'status':
      return `+${r.value}`;
    case 'error':
      return `-${r.value}`;
    case 'int':
      return `:${r.value}`;
    case 'bulk':
      return JSON.stringify(r.value);
    case 'null':
      return 'nil';
    case 'nullarray':
      return 'nil*';
    case 'double':
      return `,${r.value}`;
    case 'bool':
      return `#${r.value ? 't' : 'f'}`;
    case 'verbatim':
      return `=${JSON.stringify(r.value)}`;
    case 'map':
      return `{${r.value.map(([k, v]) => `${show(k)}: ${show(v)}`).join(', ')}}`;
    default: {
      const open = r.type === 'array' ? '[' : r.type === 'set' ? '~[' : '>[';
      return `${open}${r.value.map(show).join(', ')}]`;
    }
  }
}
