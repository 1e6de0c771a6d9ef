/**
 * Resumable, byte-level parser for client requests: RESP multibulk (`*N\r\n$len\r\n...`) and inline
 * commands (`SET k v\r\n`). Fed arbitrary chunks; keeps only what it has not consumed. Arguments come
 * out as latin1 strings (one char per byte), which keeps them binary-safe.
 */

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export interface RequestLimits {
  /** proto-max-bulk-len: the largest bulk argument accepted. */
  maxBulkLen: number;
  /** Unauthenticated clients get tight limits, as in Redis, so an anonymous peer cannot make us buffer. */
  authenticated: boolean;
}

const CR = 13;
const LF = 10;
/** Redis refuses inline requests and multibulk/bulk headers longer than this without a newline. */
const INLINE_MAX = 64 * 1024;
/** Bulk arguments at least this large are collected as chunks rather than concatenated repeatedly. */
const BIG_ARG = 32 * 1024;
const MAX_MULTIBULK = 1024 * 1024 * 1024; // Redis: INT_MAX-ish, and 1G elements cannot fit anyway

export class RequestParser {
  private pending: Buffer | null = null;
  /** Arguments still expected in the current multibulk; 0 when between commands. */
  private argsLeft = 0;
  private argv: string[] = [];
  /** Next index to fill in argv (sized up front from the multibulk count, for small counts). */
  private argc = 0;
  /** Length of the bulk argument being read, or -1 when the next thing is a `$` header. */
  private bulkLen = -1;
  private bigParts: Buffer[] = [];
  private bigHave = 0;

  /** Bytes held while waiting for the rest of a request (for client-query-buffer-limit). */
  get bufferedBytes(): number {
    return (this.pending?.length ?? 0) + this.bigHave;
  }

  /**
   * Parses every complete request in `chunk` (plus what was left from earlier chunks) into `out`.
   * Throws ProtocolError on malformed input; the caller replies with `-ERR Protocol error: ...` and
   * closes the connection, as Redis does.
   */
  feed(chunk: Buffer, out: string[][], limits: RequestLimits): void {
    let buf: Buffer;
    if (this.bulkLen >= BIG_ARG && this.argsLeft > 0) {
      chunk = this.takeBig(chunk, out);
      if (chunk.length === 0) return;
      buf = chunk;
    } else if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    } else {
      buf = chunk;
    }
    let pos = 0;
    const end = buf.length;
    while (pos < end) {
      if (this.argsLeft === 0) {
        if (buf[pos] === 42 /* '*' */) {
          const nl = buf.indexOf(LF, pos);
          if (nl === -1) {
            if (end - pos > INLINE_MAX) throw new ProtocolError('too big mbulk count string');
            break;
          }
          const n = parseLength(buf, pos + 1, nl - 1);
          if (Number.isNaN(n) || n > MAX_MULTIBULK || (!limits.authenticated && n > 10)) {
            throw new ProtocolError('invalid multibulk length');
          }
          pos = nl + 1;
          if (n <= 0) continue; // `*0` and `*-1` are ignored, as in Redis
          this.argsLeft = n;
          // Sized up front when small: growing an empty array by push allocates twice per request.
          this.argv = n <= 64 ? new Array<string>(n) : [];
          this.argc = 0;
          this.bulkLen = -1;
          continue;
        } else {
          const nl = buf.indexOf(LF, pos);
          if (nl === -1) {
            if (end - pos > INLINE_MAX) throw new ProtocolError('too big inline request');
            break;
          }
          const lineEnd = nl > pos && buf[nl - 1] === CR ? nl - 1 : nl;
          const args = splitInline(buf.latin1Slice(pos, lineEnd));
          pos = nl + 1;
          if (args.length > 0) out.push(args);
          continue;
        }
      }
      // Inside a multibulk: alternate `$len\r\n` headers and payloads.
      if (this.bulkLen === -1) {
        if (buf[pos] !== 36 /* '$' */) {
          throw new ProtocolError(`expected '$', got '${String.fromCharCode(buf[pos]!)}'`);
        }
        const nl = buf.indexOf(LF, pos);
        if (nl === -1) {
          if (end - pos > INLINE_MAX) throw new ProtocolError('too big bulk count string');
          break;
        }
        const len = parseLength(buf, pos + 1, nl - 1);
        if (
          Number.isNaN(len) ||
          len < 0 ||
          len > limits.maxBulkLen ||
          (!limits.authenticated && len > 16384)
        ) {
          throw new ProtocolError('invalid bulk length');
        }
        pos = nl + 1;
        this.bulkLen = len;
        if (len >= BIG_ARG && end - pos < len + 2) {
          this.bigParts = [buf.subarray(pos)];
          this.bigHave = end - pos;
          return;
        }
      }
      if (end - pos < this.bulkLen + 2) break;
      this.argv[this.argc++] = buf.latin1Slice(pos, pos + this.bulkLen);
      pos += this.bulkLen + 2;
      this.bulkLen = -1;
      if (--this.argsLeft === 0) {
        out.push(this.argv);
        this.argv = [];
      }
    }
    if (pos < end) this.pending = pos === 0 ? buf : buf.subarray(pos);
  }

  /** Collects a large bulk argument without quadratic concatenation; returns the bytes after it. */
  private takeBig(chunk: Buffer, out: string[][]): Buffer {
    const need = this.bulkLen + 2 - this.bigHave;
    if (chunk.length < need) {
      this.bigParts.push(chunk);
      this.bigHave += chunk.length;
      return Buffer.alloc(0);
    }
    this.bigParts.push(chunk.subarray(0, need));
    const whole = Buffer.concat(this.bigParts, this.bulkLen + 2);
    this.bigParts = [];
    this.bigHave = 0;
    this.argv[this.argc++] = whole.latin1Slice(0, this.bulkLen);
    this.bulkLen = -1;
    if (--this.argsLeft === 0) {
      out.push(this.argv);
      this.argv = [];
    }
    return chunk.subarray(need);
  }
}

/** Parses a decimal length between [start, crEnd] where crEnd points at the expected '\r'. */
function parseLength(buf: Buffer, start: number, crEnd: number): number {
  if (buf[crEnd] !== CR || crEnd <= start) return Number.NaN;
  let neg = false;
  let i = start;
  if (buf[i] === 45 /* '-' */) {
    neg = true;
    i++;
    if (i === crEnd) return Number.NaN;
  }
  let n = 0;
  for (; i < crEnd; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
    if (n > Number.MAX_SAFE_INTEGER / 10) return Number.NaN;
  }
  return neg ? -n : n;
}

/**
 * Splits an inline request like Redis's sdssplitargs: whitespace separated, with "double quotes"
 * (supporting \n \r \t \b \a \\ \" and \xHH escapes) and 'single quotes' (supporting \').
 */
export function splitInline(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  const n = line.length;
  while (true) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i >= n) return args;
    let current = '';
    let inDouble = false;
    let inSingle = false;
    let done = false;
    while (!done) {
      const ch = line[i];
      if (inDouble) {
        if (ch === undefined) throw new ProtocolError('unbalanced quotes in request');
        if (ch === '\\' && line[i + 1] === 'x' && isHex(line[i + 2]) && isHex(line[i + 3])) {
          current += String.fromCharCode(Number.parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (ch === '\\' && i + 1 < n) {
          i++;
          const esc = line[i]!;
          current +=
            esc === 'n'
              ? '\n'
              : esc === 'r'
                ? '\r'
                : esc === 't'
                  ? '\t'
                  : esc === 'b'
                    ? '\b'
                    : esc === 'a'
                      ? '\x07'
                      : esc;
        } else if (ch === '"') {
          if (i + 1 < n && !isSpace(line.charCodeAt(i + 1)))
            throw new ProtocolError('unbalanced quotes in request');
          done = true;
        } else {
          current += ch;
        }
      } else if (inSingle) {
        if (ch === undefined) throw new ProtocolError('unbalanced quotes in request');
        if (ch === '\\' && line[i + 1] === "'") {
          i++;
          current += "'";
        } else if (ch === "'") {
          if (i + 1 < n && !isSpace(line.charCodeAt(i + 1)))
            throw new ProtocolError('unbalanced quotes in request');
          done = true;
        } else {
          current += ch;
        }
      } else if (ch === undefined || isSpace(line.charCodeAt(i))) {
        done = true;
      } else if (ch === '"') {
        inDouble = true;
      } else if (ch === "'") {
        inSingle = true;
      } else {
        current += ch;
      }
      if (i < n) i++;
    }
    args.push(current);
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
}

function isHex(ch: string | undefined): boolean {
  return ch !== undefined && /[0-9a-fA-F]/.test(ch);
}
