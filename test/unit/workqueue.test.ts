import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../src/operator/workqueue.js';

describe('work queue', () => {
  it('coalesces a key added many times while waiting', async () => {
    const q = new WorkQueue();
    for (let i = 0; i < 5; i++) q.add('ns/a');
    q.add('ns/b');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
  });

  it('never hands out a key twice at once; an add during processing runs it again afterwards', async () => {
    const q = new WorkQueue();
    q.add('k');
    const key = await q.get();
    q.add('k');
    expect(q.length).toBe(0);
    q.done(key!);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('k');
  });

  it('backs off exponentially per key and forgets on success', async () => {
    const q = new WorkQueue(10, 1000);
    const started = Date.now();
    q.addRateLimited('k');
    expect(await q.get()).toBe('k');
    q.done('k');
    q.addRateLimited('k');
    expect(await q.get()).toBe('k');
    q.done('k');
    expect(q.retries('k')).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    q.forget('k');
    expect(q.retries('k')).toBe(0);
  });

  it('wakes waiting workers with undefined on shutdown', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutdown();
    expect(await waiting).toBeUndefined();
  });
});
