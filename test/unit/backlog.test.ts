import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backlog } from '../../src/replication/backlog.js';

/** The naive model: the whole stream, offsets counted from 1. */
class Model {
  stream = Buffer.alloc(0);
  constructor(
    readonly size: number,
    readonly start: number,
  ) {}
  get end(): number {
    return this.start + this.stream.length;
  }
  get histlen(): number {
    return Math.min(this.size, this.stream.length);
  }
  get first(): number {
    return this.end - this.histlen + 1;
  }
}

describe('replication backlog', () => {
  it('matches a naive model of the stream under appends, resizes and reads', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('append' as const),
        data: fc.uint8Array({ minLength: 0, maxLength: 300 }),
      }),
      fc.record({ kind: fc.constant('resize' as const), size: fc.integer({ min: 1, max: 400 }) }),
      fc.record({ kind: fc.constant('read' as const), back: fc.integer({ min: -3, max: 500 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.array(op, { maxLength: 60 }),
        (size, start, ops) => {
          const b = new Backlog(size, start);
          let model = new Model(size, start);
          for (const o of ops) {
            if (o.kind === 'append') {
              b.append(Buffer.from(o.data));
              model.stream = Buffer.concat([model.stream, Buffer.from(o.data)]);
            } else if (o.kind === 'resize') {
              b.resize(o.size);
              // Resizing keeps the most recent history that fits.
              const keep = Math.min(model.histlen, o.size);
              const m = new Model(o.size, model.end - keep);
              m.stream = model.stream.subarray(model.stream.length - keep);
              model = m;
            } else {
              const offset = model.end + 1 - o.back;
              const servable = offset >= model.first && offset <= model.end + 1;
              expect(b.canServe(offset)).toBe(servable);
              if (servable) {
                const expected = model.stream.subarray(offset - model.start - 1);
                expect(b.readFrom(offset).equals(expected)).toBe(true);
              }
            }
            expect(b.endOffset).toBe(model.end);
            expect(b.histlen).toBe(model.histlen);
            expect(b.firstByteOffset).toBe(model.first);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('follows Redis offsets: a fresh backlog starts at offset+1 and serves exactly [first, end+1]', () => {
    const b = new Backlog(16 * 1024, 0);
    expect(b.firstByteOffset).toBe(1);
    expect(b.histlen).toBe(0);
    expect(b.canServe(1)).toBe(true);
    expect(b.readFrom(1).length).toBe(0);
    b.append(Buffer.from('*1\r\n$4\r\nping\r\n'));
    expect(b.endOffset).toBe(14);
    expect(b.canServe(0)).toBe(false);
    expect(b.canServe(15)).toBe(true);
    expect(b.canServe(16)).toBe(false);
    expect(b.readFrom(1).toString()).toBe('*1\r\n$4\r\nping\r\n');
  });
});
