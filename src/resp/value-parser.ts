/**
 * Resumable, byte-level decoder for RESP2 and RESP3 values (what a server sends): the replica's link to
 * its master, the operator's and the tests' clients use it. Feed it chunks; it yields each complete
 * value and keeps the incomplete tail. Strings come out as latin1 (binary-safe) JS strings.
 */

export type RespValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | RespError
  | RespValue[]
  | RespMap
  | RespSet
  | RespPush
  | RespVerbatim;

export class RespError {
  constructor(readonly message: string) {}
  toString(): string {
    return this.message;
  }
}
export class RespMap {
  constructor(readonly entries: [RespValue, RespValue][]) {}
}
export class RespSet {
  constructor(readonly items: RespValue[]) {}
}
export class RespPush {
  constructor(readonly items: RespValue[]) {}
}
export class RespVerbatim {
  constructor(
    readonly format: string,
    readonly text: string,
  ) {}
}

export class RespSyntaxError extends Error {}

/** An aggregate being filled: its kind, how many children remain, and those collected so far. */
interface Frame {
  kind: '*' | '%' | '~' | '>';
  remaining: number;
  items: RespValue[];
}

const MAX_HEADER = 64 * 1024;

export class RespValueParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private readonly stack: Frame[] = [];

  /** Bytes received but not yet consumed by complete values. */
  get pendingBytes(): number {
    return this.buf.length - this.pos;
  }

  /** Adds bytes and returns every value completed by them, in order. */
  feed(chunk: Buffer): RespValue[] {
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
    const out: RespValue[] = [];
    for (;;) {
      const start = this.pos;
      const value = this.parseOne();
      if (value === INCOMPLETE) {
        this.pos = start;
        break;
      }
      if (value === AGGREGATE_STARTED) continue;
      let v: RespValue = value;
      // Attach the value to open aggregates, closing those that are complete.
      for (;;) {
        const top = this.stack[this.stack.length - 1];
        if (!top) {
          out.push(v);
          break;
        }
        top.items.push(v);
        if (--top.remaining > 0) break;
        this.stack.pop();
        v = closeFrame(top);
      }
    }
    return out;
  }

  /**
   * Takes raw bytes that follow the values parsed so far (the RDB payload after `+FULLRESYNC`, which is
   * not RESP): returns and consumes up to `max` buffered bytes.
   */
  takeRaw(max = Number.POSITIVE_INFINITY): Buffer {
    const end = Math.min(this.buf.length, this.pos + max);
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  private parseOne(): RespValue | typeof INCOMPLETE | typeof AGGREGATE_STARTED {
    const buf = this.buf;
    if (this.pos >= buf.length) return INCOMPLETE;
    const type = buf[this.pos]!;
    const nl = buf.indexOf(10, this.pos);
    if (nl === -1) {
      if (buf.length - this.pos > MAX_HEADER) throw new RespSyntaxError('line too long');
      return INCOMPLETE;
    }
    if (buf[nl - 1] !== 13) throw new RespSyntaxError(`line without CR at offset ${nl}`);
    const line = buf.latin1Slice(this.pos + 1, nl - 1);
    const after = nl + 1;
    switch (type) {
      case 43: // '+'
        this.pos = after;
        return line;
      case 45: // '-'
        this.pos = after;
        return new RespError(line);
      case 58: // ':'
        this.pos = after;
        return toInteger(line);
      case 95: // '_'
        this.pos = after;
        return null;
      case 35: // '#'
        this.pos = after;
        return line === 't';
      case 44: // ','
        this.pos = after;
        return toDouble(line);
      case 40: // '('
        this.pos = after;
        return BigInt(line);
      case 36: // '$'
      case 61: // '='
      case 33: {
        // '!' blob error
        const len = Number(line);
        if (!Number.isInteger(len) || len < -1) throw new RespSyntaxError(`bad bulk length '${line}'`);
        if (len === -1) {
          this.pos = after;
          return null;
        }
        if (buf.length < after + len + 2) return INCOMPLETE;
        const body = buf.latin1Slice(after, after + len);
        this.pos = after + len + 2;
        if (type === 33) return new RespError(body);
        if (type === 61) return new RespVerbatim(body.slice(0, 3), body.slice(4));
        return body;
      }
      case 42: // '*'
      case 37: // '%'
      case 126: // '~'
      case 62: {
        // '>'
        const n = Number(line);
        if (!Number.isInteger(n) || n < -1) throw new RespSyntaxError(`bad aggregate length '${line}'`);
        this.pos = after;
        if (n === -1) return null;
        const kind = String.fromCharCode(type) as Frame['kind'];
        const count = kind === '%' ? n * 2 : n;
        if (count === 0) return closeFrame({ kind, remaining: 0, items: [] });
        this.stack.push({ kind, remaining: count, items: [] });
        return AGGREGATE_STARTED;
      }
      default:
        throw new RespSyntaxError(`unexpected type byte 0x${type.toString(16)}`);
    }
  }
}

const INCOMPLETE = Symbol('incomplete');
const AGGREGATE_STARTED = Symbol('aggregate');

function closeFrame(f: Frame): RespValue {
  switch (f.kind) {
    case '*':
      return f.items;
    case '~':
      return new RespSet(f.items);
    case '>':
      return new RespPush(f.items);
    case '%': {
      const entries: [RespValue, RespValue][] = [];
      for (let i = 0; i < f.items.length; i += 2) entries.push([f.items[i]!, f.items[i + 1]!]);
      return new RespMap(entries);
    }
  }
}

function toInteger(s: string): number | bigint {
  const n = Number(s);
  if (!Number.isInteger(n)) throw new RespSyntaxError(`bad integer '${s}'`);
  return Number.isSafeInteger(n) ? n : BigInt(s);
}

function toDouble(s: string): number {
  if (s === 'inf') return Number.POSITIVE_INFINITY;
  if (s === '-inf') return Number.NEGATIVE_INFINITY;
  if (s === 'nan') return Number.NaN;
  return Number(s);
}

/** Encodes a command as a RESP array of bulk strings (how clients and masters send commands). */
export function encodeCommand(argv: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${argv.length}\r\n`, 'latin1')];
  for (const arg of argv) {
    const b = typeof arg === 'string' ? Buffer.from(arg, 'latin1') : arg;
    parts.push(Buffer.from(`$${b.length}\r\n`, 'latin1'), b, CRLF);
  }
  return Buffer.concat(parts);
}

const CRLF = Buffer.from('\r\n', 'latin1');
