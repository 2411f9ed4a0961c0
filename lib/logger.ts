import { pino, type Logger as PinoLogger } from 'pino';
import { ArgumentError } from './errors/index.js';

export type Logger = PinoLogger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Where every logger of this process (or worker thread) writes. One
 * destination each would be a stream per actor of every job, each
 * registered to be flushed when the process exits.
 */
let stderr: ReturnType<typeof pino.destination> | undefined;

/**
 * The framework's logger: JSON lines on stderr (pipe through `pino-pretty` to
 * read them), level from the option, else `SOLSTICE_LOG_LEVEL`, else `warn`.
 */
export function createLogger(level?: LogLevel, bindings: Record<string, unknown> = {}): Logger {
  stderr ??= pino.destination(2);
  return pino({ level: logLevelOf(level), base: { pid: process.pid, ...bindings } }, stderr);
}

/** The level a logger given `level` logs at: it, else `SOLSTICE_LOG_LEVEL`, else `warn`; one that does not exist is an ArgumentError. */
export function logLevelOf(level?: LogLevel): LogLevel {
  const resolved = level ?? (process.env.SOLSTICE_LOG_LEVEL as LogLevel | undefined) ?? 'warn';
  if (!LOG_LEVELS.includes(resolved)) {
    const where = level === undefined ? 'SOLSTICE_LOG_LEVEL' : 'logLevel';
    throw new ArgumentError(where, String(resolved), `${where} must be ${LOG_LEVELS.map((name) => `'${name}'`).join(', ')}, got ${JSON.stringify(resolved)}`);
  }
  return resolved;
}
