import { isatty } from 'node:tty';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { ArgumentError } from './errors/index.js';
import { prettyLogDestination } from './pretty-log-destination.js';

export type Logger = PinoLogger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/** `json`: one JSON object a line, for programs; `pretty`: readable lines, for a terminal. */
export type LogFormat = 'json' | 'pretty';

export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/** How a logger logs; a JobSpec, the RunnerOptions and the HostAgentOptions carry the same fields. */
export interface LogOptions {
  readonly logLevel?: LogLevel;
  readonly logFormat?: LogFormat;
}

/**
 * The framework's logger, on stderr: level from the option, else
 * `SOLSTICE_LOG_LEVEL`, else `warn`; format from the option, else
 * `SOLSTICE_LOG_FORMAT`, else readable lines when stderr is a terminal and
 * JSON lines when it is not (docs/observability.md#logs).
 */
export function createLogger(options: LogOptions = {}, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level: logLevelOf(options.logLevel), base: { pid: process.pid, ...bindings } }, stderrAs(logFormatOf(options.logFormat)));
}

/**
 * Where every logger of this process (or worker thread) writes, by format.
 * One destination each would be a stream per actor of every job, each
 * registered to be flushed when the process exits.
 */
const destinations = new Map<LogFormat, DestinationStream>();

function stderrAs(format: LogFormat): DestinationStream {
  let destination = destinations.get(format);
  if (!destination) {
    destination = format === 'pretty' ? prettyLogDestination() : pino.destination(2);
    destinations.set(format, destination);
  }
  return destination;
}

/** The level a logger given `level` logs at: it, else `SOLSTICE_LOG_LEVEL`, else `warn`; one that does not exist is an ArgumentError. */
export function logLevelOf(level?: LogLevel): LogLevel {
  return oneOf(LOG_LEVELS, level, 'logLevel', 'SOLSTICE_LOG_LEVEL') ?? 'warn';
}

/**
 * The format a logger given `format` writes: it, else `SOLSTICE_LOG_FORMAT`,
 * else `pretty` when fd 2 is a terminal, else `json`. The threads and forked
 * processes of a job share or inherit the fd 2 of the process that started
 * them, so they all answer alike; one that does not exist is an ArgumentError.
 */
export function logFormatOf(format?: LogFormat): LogFormat {
  return oneOf(LOG_FORMATS, format, 'logFormat', 'SOLSTICE_LOG_FORMAT') ?? (isatty(2) ? 'pretty' : 'json');
}

/** `given`, else the variable `variable`; either must be one of `choices`. */
function oneOf<T extends string>(choices: readonly T[], given: T | undefined, option: string, variable: string): T | undefined {
  const resolved = given ?? (process.env[variable] as T | undefined);
  if (resolved === undefined || choices.includes(resolved)) return resolved;
  const where = given === undefined ? variable : option;
  throw new ArgumentError(where, String(resolved), `${where} must be ${choices.map((name) => `'${name}'`).join(', ')}, got ${JSON.stringify(resolved)}`);
}
