#!/usr/bin/env node
import type { Server } from './server/server.js';

const USAGE = `Usage: rcache-server [/path/to/redis.conf] [options] [-]
       rcache-server - (read config from stdin)
       rcache-server -v or --version
       rcache-server -h or --help

Examples:
       rcache-server (run the server with default config: in-memory, port 6379)
       rcache-server /etc/redis/6379.conf
       rcache-server --port 7777
       rcache-server --port 7777 --replicaof 127.0.0.1 8888
       rcache-server /etc/myredis.conf --loglevel verbose --log-format redis
`;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--pre-stop') {
    // Kubernetes preStop hook of operator-managed pods (the image has no shell, so it is a mode of ours).
    // It runs while the master's clients wait, so it loads none of the server.
    const { preStop, parsePreStopArgs } = await import('./operator/pre-stop.js');
    const options = parsePreStopArgs(argv.slice(1));
    if (typeof options === 'string') {
      process.stderr.write(`${options}\n`);
      return 1;
    }
    return await preStop({
      ...options,
      password: process.env.RCACHE_PASSWORD,
      log: (msg) => process.stdout.write(`${msg}\n`),
    });
  }
  const { createLogger, loadConfig, RCACHE_VERSION, StartupConfigError, startServer, startupBanner } =
    await import('./server/bootstrap.js');
  if (argv[0] === '-v' || argv[0] === '--version') {
    const { SERVER_VERSION } = await import('./commands/hello-reply.js');
    process.stdout.write(
      `rcache-server v=${RCACHE_VERSION} redis-compat=${SERVER_VERSION} bits=64 node=${process.versions.node}\n`,
    );
    return 0;
  }
  if (argv[0] === '-h' || argv[0] === '--help') {
    process.stdout.write(USAGE);
    return 0;
  }
  let configFile: string | undefined;
  let options = argv;
  if (argv[0] !== undefined && !argv[0].startsWith('--')) {
    configFile = argv[0] === '-' ? '/dev/stdin' : argv[0];
    options = argv.slice(1);
  }
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(configFile, options);
  } catch (err) {
    process.stderr.write(`\n${err instanceof StartupConfigError ? err.message : (err as Error).message}\n`);
    return 1;
  }
  const { config, warnings } = loaded;
  const log = createLogger(config);
  log.notice('oO0OoO0OoO0Oo rcache-server is starting oO0OoO0OoO0Oo');
  log.notice(`${startupBanner()}, PID: ${process.pid}, just started`);
  log.notice(
    configFile
      ? `Configuration loaded from ${configFile}`
      : 'Warning: no config file specified, using the default config. In order to specify a config file use rcache-server /path/to/redis.conf',
  );
  for (const w of warnings) log.warning(w);
  let server: Server;
  try {
    server = await startServer(config, log);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    log.warning(
      e.code === 'EADDRINUSE'
        ? `Warning: Could not create server TCP listening socket *:${config.num('port')}: bind: Address already in use`
        : `Fatal error during startup: ${e.message}`,
    );
    return 1;
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.warning(`Received ${signal} scheduling shutdown...`);
    try {
      await server.shutdown({ save: undefined });
    } catch (err) {
      // As Redis 7.0: a final save that fails keeps the server running (the data would be lost).
      log.warning(`Error during shutdown: ${(err as Error).message}`);
      log.warning(
        `${signal} received but errors trying to shut down the server, check the logs for more information`,
      );
      stopping = false;
      return;
    }
    log.warning('rcache-server is now ready to exit, bye bye...');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  server.onShutdownRequested = (code) => process.exit(code);
  return -1; // keep running
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
