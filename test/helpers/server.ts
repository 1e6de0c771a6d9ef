import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config } from '../../src/config/config.js';
import { Logger } from '../../src/log.js';
import { Server } from '../../src/server/server.js';

export interface TestServer {
  server: Server;
  port: number;
  /** Log lines (redis format) captured from the server, for tests that check them. */
  logs: string[];
  close(): Promise<void>;
}

/**
 * Starts an in-process rcache-server on 127.0.0.1 and an OS-assigned port. Its `dir` is a fresh temp
 * directory (removed on close) unless the test sets one, so a SAVE in a test never lands in the repo.
 */
export async function startTestServer(
  directives: Record<string, string | string[]> = {},
): Promise<TestServer> {
  const config = new Config();
  const tempDir = directives.dir === undefined ? mkdtempSync(join(tmpdir(), 'rcache-test-')) : undefined;
  if (tempDir) config.set('dir', [tempDir], 'file');
  for (const [name, value] of Object.entries(directives))
    config.set(name, Array.isArray(value) ? value : [value], 'file');
  const logs: string[] = [];
  const log = new Logger({ level: 'verbose', file: '', format: 'redis', sink: (line) => logs.push(line) });
  const server = new Server({ config, log });
  const port = await server.listen(0, '127.0.0.1');
  return {
    server,
    port,
    logs,
    async close() {
      await server.close();
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}
