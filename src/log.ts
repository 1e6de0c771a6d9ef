import { type Logger as PinoLogger, pino } from 'pino';

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning';

const LEVELS: Record<LogLevel, number> = { debug: 20, verbose: 25, notice: 30, warning: 40 };
const LEVEL_CHAR: Record<string, string> = { debug: '.', verbose: '-', notice: '*', warning: '#' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Redis's role letters in log lines: M master, S replica, C child (snapshot), X sentinel. */
export type RoleChar = 'M' | 'S' | 'C';

export interface LogOptions {
  level: LogLevel;
  /** Empty: standard output. */
  file: string;
  format: 'json' | 'redis';
  /** For tests: receives every formatted line instead of a file or stdout. */
  sink?: (line: string) => void;
}

/**
 * The server's logger: pino underneath (structured JSON by default), or lines exactly as redis-server
 * prints them (`<pid>:<role> <dd Mon yyyy hh:mm:ss.mmm> <level char> <message>`) for terminals and for
 * tools that parse Redis logs.
 */
export class Logger {
  role: RoleChar = 'M';
  private pino: PinoLogger<'debug' | 'verbose' | 'notice' | 'warning'>;

  constructor(private options: LogOptions) {
    this.pino = this.build(options);
  }

  private build(options: LogOptions): PinoLogger<LogLevel> {
    const redisStyle = options.format === 'redis';
    const stream = options.sink
      ? { write: (line: string) => options.sink!(redisStyle ? toRedisLine(line) : line.replace(/\n$/, '')) }
      : redisStyle
        ? { write: (line: string) => this.dest.write(`${toRedisLine(line)}\n`) }
        : this.dest;
    return pino(
      {
        level: options.level,
        customLevels: LEVELS,
        useOnlyCustomLevels: true,
        base: { pid: process.pid },
        messageKey: 'msg',
        formatters: { level: (label) => ({ level: label }) },
        timestamp: pino.stdTimeFunctions.epochTime,
        mixin: () => ({ role: this.role }),
      },
      stream,
    ) as PinoLogger<LogLevel>;
  }

  private _dest: pino.DestinationStream | undefined;
  private get dest(): pino.DestinationStream {
    this._dest ??= pino.destination({
      dest: this.options.file === '' ? 1 : this.options.file,
      sync: true,
      mkdir: true,
    });
    return this._dest;
  }

  setLevel(level: LogLevel): void {
    this.options = { ...this.options, level };
    this.pino.level = level;
  }

  get level(): LogLevel {
    return this.options.level;
  }

  debug(msg: string, fields?: object): void {
    this.pino.debug(fields ?? {}, msg);
  }
  verbose(msg: string, fields?: object): void {
    this.pino.verbose(fields ?? {}, msg);
  }
  notice(msg: string, fields?: object): void {
    this.pino.notice(fields ?? {}, msg);
  }
  warning(msg: string, fields?: object): void {
    this.pino.warning(fields ?? {}, msg);
  }
}

function toRedisLine(jsonLine: string): string {
  const rec = JSON.parse(jsonLine) as { pid: number; role: string; time: number; level: string; msg: string };
  const d = new Date(rec.time);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${pad(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  return `${rec.pid}:${rec.role} ${stamp} ${LEVEL_CHAR[rec.level] ?? '*'} ${rec.msg}`;
}
