import { describe, expect, it } from 'vitest';
import { Config, ConfigError } from '../../src/config/config.js';
import { parseMemory } from '../../src/config/directives.js';

describe('configuration table', () => {
  it('parses memory units as Redis does (k = 1000, kb = 1024)', () => {
    expect(parseMemory('1gb')).toBe(1024 ** 3);
    expect(parseMemory('100MB')).toBe(100 * 1024 * 1024);
    expect(parseMemory('64k')).toBe(64_000);
    expect(parseMemory('12')).toBe(12);
    expect(parseMemory('lots')).toBeUndefined();
    const c = new Config();
    c.set('maxmemory', ['2mb']);
    expect(c.num('maxmemory')).toBe(2 * 1024 * 1024);
  });

  it('clamps hz into 1..500 like Redis, and accepts large maxmemory-samples', () => {
    const c = new Config();
    c.set('hz', ['1000']);
    expect(c.num('hz')).toBe(500);
    c.set('hz', ['0']);
    expect(c.num('hz')).toBe(1);
    c.set('maxmemory-samples', ['100']);
    expect(c.num('maxmemory-samples')).toBe(100);
  });

  it('takes several words for bind and keeps aliases pointing at one value', () => {
    const c = new Config();
    c.set('bind', ['127.0.0.1', '-::1'], 'file');
    expect(c.format('bind')).toBe('127.0.0.1 -::1');
    c.set('slave-read-only', ['no']);
    expect(c.bool('replica-read-only')).toBe(false);
  });

  it('refuses bad values with Redis wording and immutable directives at run time', () => {
    const c = new Config();
    expect(() => c.set('appendonly', ['maybe'])).toThrow(new ConfigError("argument must be 'yes' or 'no'"));
    expect(() => c.set('maxmemory-policy', ['sometimes'])).toThrow(
      /argument\(s\) must be one of the following: volatile-lru/,
    );
    expect(() => c.set('port', ['70000'])).toThrow('argument must be between 0 and 65535 inclusive');
    expect(() => c.set('databases', ['4'])).toThrow("can't set immutable config");
    c.set('databases', ['4'], 'file');
    expect(c.num('databases')).toBe(4);
  });
});
