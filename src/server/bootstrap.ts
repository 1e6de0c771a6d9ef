import { SERVER_VERSION } from '../commands/hello-reply.js';
import { type ConfLine, parseCommandLineOptions, readConfFile } from '../config/conf-file.js';
import { Config, ConfigError, findDirective, isAcceptedUnimplemented } from '../config/config.js';
import { Logger, type LogLevel } from '../log.js';
import { attachPersistence } from '../persistence/persistence.js';
import { startHealthServer } from './health.js';
import { Server } from './server.js';

export const RCACHE_VERSION = '0.1.0';

/** A config problem found at startup: reported with file, line and directive, then exit 1. */
export class StartupConfigError extends Error {}

/**
 * Builds the configuration from a redis.conf and command-line directives, as redis-server does: the
 * file first, then the command line, later values winning. Unknown directives are fatal (a typo must not
 * pass silently); directives Redis has but we do not implement are accepted with a warning.
 */
export function loadConfig(
  configFile: string | undefined,
  options: string[],
): { config: Config; warnings: string[] } {
  const config = new Config();
  const warnings: string[] = [];
  const lines: ConfLine[] = [];
  if (configFile !== undefined) {
    lines.push(...readConfFile(configFile));
    config.configFile = configFile;
  }
  lines.push(...parseCommandLineOptions(options));
  for (const line of lines) {
    const where = `${line.file}:${line.line}`;
    const text = [line.name, ...line.args].join(' ');
    if (findDirective(line.name)) {
      try {
        config.set(line.name, line.args, 'file');
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        throw new StartupConfigError(
          `*** FATAL CONFIG FILE ERROR (rcache-server ${RCACHE_VERSION}) ***\nReading the configuration file, at ${where}\n>>> '${text}'\n${err.message}`,
        );
      }
    } else if (isAcceptedUnimplemented(line.name)) {
      warnings.push(
        `Directive '${line.name}' (${where}) is accepted but not implemented by rcache-server; ignoring it.`,
      );
    } else {
      throw new StartupConfigError(
        `*** FATAL CONFIG FILE ERROR (rcache-server ${RCACHE_VERSION}) ***\nReading the configuration file, at ${where}\n>>> '${text}'\nBad directive or wrong number of arguments`,
      );
    }
  }
  return { config, warnings };
}

export function createLogger(config: Config): Logger {
  return new Logger({
    level: config.str('loglevel') as LogLevel,
    file: config.str('logfile'),
    format: config.str('log-format') as 'json' | 'redis',
  });
}

/** Creates the server with every subsystem wired in (persistence, replication). */
export async function startServer(config: Config, log: Logger): Promise<Server> {
  const server = new Server({ config, log });
  // The RDB is loaded before the port opens: clients never see a partly loaded keyspace.
  attachPersistence(server);
  const port = await server.listen();
  const healthPort = config.num('health-port');
  if (healthPort !== 0) {
    const health = await startHealthServer(server, healthPort);
    server.shutdownHooks.push(async () => {
      await new Promise<void>((resolve) => health.close(() => resolve()));
    });
    log.notice(`Health endpoint on port ${healthPort} (/live, /ready).`);
  }
  log.notice(`Running mode=standalone, port=${port}.`);
  log.notice('Server initialized');
  log.notice('Ready to accept connections');
  return server;
}

export function startupBanner(): string {
  return `rcache-server ${RCACHE_VERSION} (Redis ${SERVER_VERSION} compatible), bits=64, node=${process.versions.node}`;
}
