/** One command from the master's stream, with its exact size in bytes (it advances the offset). */
export interface StreamCommand {
  /** Empty for a bare newline (a keepalive), which still counts as consumed bytes. */
  argv: string[];
  /** The command's bytes exactly as received, to proxy to sub-replicas and the backlog. */
  raw: Buffer;
}

export class StreamProtocolError extends Error {}

/**
 * Splits the replication stream into commands and keeps each one's raw bytes: a replica counts
 * processed bytes per command and forwards them verbatim, so it cannot use the client request parser.
 * The stream only carries RESP arrays of bulk strings; inline text other than a bare newline means the
 * stream is corrupt.
 */
export class StreamParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** When an incomplete command was seen: don't retry before this many bytes are buffered. */
  private needed = 0;

  push(chunk: Buffer): void {
    const rest = this.buf.length - this.pos;
    this.buf = rest === 0 ? chunk : Buffer.concat([this.buf.subarray(this.pos), chunk]);
    this.pos = 0;
  }

  get bufferedBytes(): number {
    return this.buf.length - this.pos;
  }

  /** The next complete command, or undefined when more bytes are needed. */
  next(): StreamCommand | undefined {
    const buf = this.buf;
    const start = this.pos;
    if (start >= buf.length || buf.length - start < this.needed) return undefined;
    if (buf[start] !== 42 /* '*' */) {
      const nl = buf.indexOf(10, start);
      if (nl === -1) return undefined;
      const line = buf.latin1Slice(start, nl).replace(/\r$/, '');
      if (line.length > 0) {
        throw new StreamProtocolError(`inline protocol from master: ${JSON.stringify(line.slice(0, 64))}`);
      }
      this.pos = nl + 1;
      return { argv: [], raw: buf.subarray(start, nl + 1) };
    }
    let p = start;
    const header = readLine(buf, p);
    if (header === undefined) return undefined;
    const argc = Number(header.text.slice(1));
    if (!Number.isInteger(argc) || argc < 0)
      throw new StreamProtocolError(`bad multibulk header '${header.text}'`);
    p = header.next;
    const argv: string[] = [];
    for (let i = 0; i < argc; i++) {
      const h = readLine(buf, p);
      if (h === undefined) return this.incomplete(p + 1);
      if (h.text[0] !== '$') throw new StreamProtocolError(`expected '$', got '${h.text.slice(0, 16)}'`);
      const len = Number(h.text.slice(1));
      if (!Number.isInteger(len) || len < 0) throw new StreamProtocolError(`bad bulk length '${h.text}'`);
      if (h.next + len + 2 > buf.length) return this.incomplete(h.next + len + 2);
      argv.push(buf.latin1Slice(h.next, h.next + len));
      p = h.next + len + 2;
    }
    this.pos = p;
    this.needed = 0;
    return { argv, raw: buf.subarray(start, p) };
  }

  private incomplete(absoluteNeeded: number): undefined {
    this.needed = absoluteNeeded - this.pos;
    return undefined;
  }
}

function readLine(buf: Buffer, from: number): { text: string; next: number } | undefined {
  const nl = buf.indexOf(10, from);
  if (nl === -1) return undefined;
  const end = nl > from && buf[nl - 1] === 13 ? nl - 1 : nl;
  return { text: buf.latin1Slice(from, end), next: nl + 1 };
}
