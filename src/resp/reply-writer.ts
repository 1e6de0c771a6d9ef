/**
 * Serialises replies into one shared slab. Replies for the client being served are appended back to
 * back and handed to its socket as one slice per event-loop turn (see server/output.ts), so a pipeline of
 * 16 commands costs one write, not 16. Slices handed out are never overwritten: when the slab is full a
 * new one is started and the old one lives until its sockets have written it.
 */

const SLAB_SIZE = 64 * 1024;
const CRLF = '\r\n';

export class ReplyWriter {
  private slab: Buffer = Buffer.allocUnsafe(SLAB_SIZE);
  private start = 0;
  private pos = 0;
  /** Protocol of the reply being written: 2 or 3 (RESP2/RESP3). */
  resp: 2 | 3 = 2;
  /** Told about every error reply (INFO errorstats, commandstats failed_calls). */
  onError: ((message: string) => void) | undefined;

  /** Bytes written since the last take(). */
  get length(): number {
    return this.pos - this.start;
  }

  /** Detaches everything written since the last take() as one Buffer. */
  take(): Buffer {
    const out = this.slab.subarray(this.start, this.pos);
    this.start = this.pos;
    if (SLAB_SIZE - this.pos < 1024) {
      this.slab = Buffer.allocUnsafe(SLAB_SIZE);
      this.start = this.pos = 0;
    }
    return out;
  }

  /** Ensures `n` more bytes fit, moving the pending bytes to a fresh slab when they do not. */
  private reserve(n: number): void {
    if (this.pos + n <= this.slab.length) return;
    const pending = this.pos - this.start;
    const next = Buffer.allocUnsafe(Math.max(SLAB_SIZE, (pending + n) * 2));
    this.slab.copy(next, 0, this.start, this.pos);
    this.slab = next;
    this.start = 0;
    this.pos = pending;
  }

  raw(s: string): void {
    this.reserve(s.length);
    this.pos += this.slab.latin1Write(s, this.pos);
  }

  rawBuffer(b: Buffer): void {
    this.reserve(b.length);
    b.copy(this.slab, this.pos);
    this.pos += b.length;
  }

  /** `+OK` style status; the text must not contain CR or LF. */
  status(s: string): void {
    this.raw(`+${s}${CRLF}`);
  }

  /** An error reply; `msg` starts with its code (`ERR ...`, `WRONGTYPE ...`). Newlines are flattened. */
  error(msg: string): void {
    this.onError?.(msg);
    this.raw(`-${msg.replace(/[\r\n]+/g, ' ')}${CRLF}`);
  }

  integer(n: number | bigint): void {
    if (typeof n === 'number' && Number.isSafeInteger(n)) {
      // The commonest reply of write commands: digits straight into the slab, no string made.
      this.reserve(24);
      this.slab[this.pos++] = 58; // ':'
      this.digits(n);
      this.slab[this.pos++] = 13;
      this.slab[this.pos++] = 10;
      return;
    }
    this.raw(`:${n}${CRLF}`);
  }

  /** Writes a safe integer in decimal at pos; the caller reserved room for 21 bytes. */
  private digits(n: number): void {
    const slab = this.slab;
    if (n < 0) {
      slab[this.pos++] = 45; // '-'
      n = -n;
    }
    let width = 1;
    for (let p = 10; p <= n; p *= 10) width++;
    let at = this.pos + width;
    this.pos = at;
    do {
      slab[--at] = 48 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
  }

  bulk(s: string): void {
    this.reserve(s.length + 24);
    this.pos += this.slab.latin1Write(`$${s.length}\r\n`, this.pos);
    this.pos += this.slab.latin1Write(s, this.pos);
    this.slab[this.pos++] = 13;
    this.slab[this.pos++] = 10;
  }

  bulkBuffer(b: Buffer): void {
    this.raw(`$${b.length}${CRLF}`);
    this.rawBuffer(b);
    this.raw(CRLF);
  }

  /** The null of a single value: `$-1` in RESP2, `_` in RESP3. */
  nullBulk(): void {
    this.raw(this.resp === 3 ? `_${CRLF}` : `$-1${CRLF}`);
  }

  /** The null of an aggregate: `*-1` in RESP2, `_` in RESP3. */
  nullArray(): void {
    this.raw(this.resp === 3 ? `_${CRLF}` : `*-1${CRLF}`);
  }

  arrayHeader(n: number): void {
    this.raw(`*${n}${CRLF}`);
  }

  /** A map of `n` pairs: `%n` in RESP3, a flat array of 2n elements in RESP2. */
  mapHeader(n: number): void {
    this.raw(this.resp === 3 ? `%${n}${CRLF}` : `*${n * 2}${CRLF}`);
  }

  setHeader(n: number): void {
    this.raw(this.resp === 3 ? `~${n}${CRLF}` : `*${n}${CRLF}`);
  }

  pushHeader(n: number): void {
    this.raw(this.resp === 3 ? `>${n}${CRLF}` : `*${n}${CRLF}`);
  }

  /** A double: `,` in RESP3, a bulk string in RESP2, formatted as Redis does. */
  double(d: number): void {
    const s = formatDouble(d);
    if (this.resp === 3) this.raw(`,${s}${CRLF}`);
    else this.bulk(s);
  }

  bool(b: boolean): void {
    if (this.resp === 3) this.raw(b ? `#t${CRLF}` : `#f${CRLF}`);
    else this.integer(b ? 1 : 0);
  }

  /** Verbatim text (INFO, CLIENT LIST...): `=len\r\ntxt:...` in RESP3, a bulk string in RESP2. */
  verbatim(s: string): void {
    if (this.resp === 3) this.raw(`=${s.length + 4}${CRLF}txt:${s}${CRLF}`);
    else this.bulk(s);
  }

  bulkArray(items: readonly string[]): void {
    this.arrayHeader(items.length);
    for (const item of items) this.bulk(item);
  }
}

/**
 * Redis 7.0's reply format for doubles (zset scores, RESP3 doubles): C's `%.17g`, so 1.1 reads back as
 * 1.1000000000000001 exactly as real Redis 7.0 prints it, and `inf` / `-inf` for infinities.
 */
export function formatDouble(d: number): string {
  if (d === Number.POSITIVE_INFINITY) return 'inf';
  if (d === Number.NEGATIVE_INFINITY) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const [mantissa, expText] = d.toExponential(16).split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 17) {
    const digits = stripZeros(mantissa);
    const sign = exp < 0 ? '-' : '+';
    const abs = Math.abs(exp);
    return `${digits}e${sign}${abs < 10 ? '0' : ''}${abs}`;
  }
  return stripZeros(d.toFixed(16 - exp));
}

function stripZeros(s: string): string {
  if (!s.includes('.')) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
}
