import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * The framework's logger: JSON lines on stderr (pipe through `pino-pretty` to
 * read them), level from the option, else `SOLSTICE_LOG_LEVEL`, else `warn`.
 */
export function createLogger(level?: LogLevel, bindings: Record<string, unknown> = {}): Logger {
  const resolved = level ?? (process.env.SOLSTICE_LOG_LEVEL as LogLevel | undefined) ?? 'warn';
  return pino({ level: resolved, base: { pid: process.pid, ...bindings } }, pino.destination(2));
}
