/**
 * The framework's log lines made readable, for a terminal: one line per
 * entry (an error's stack below it), its time, level, actor and the ids of
 * the job, stage, worker and split it is about, then the message and the
 * entry's other fields as JSON:
 *
 *     [03:59:25.286] WARN: (StageMaster job=nightly stage=work worker=0 split=work/source-00002) worker lost {"workerPid":28068,"code":null,"signal":"SIGKILL"}
 *
 * pino-pretty's `prettyFactory` turns each JSON line into that text in the
 * thread that logged it, and the text is written to fd 2 at once: no
 * transport thread to start and end, no stream pipeline behind each logger.
 */
import { isatty } from 'node:tty';
import { pino, type DestinationStream } from 'pino';
import { prettyFactory } from 'pino-pretty';

/** The fields shown before the message, in order, as `name=value`; `splitId` is the key per-split lines use. */
const ID_FIELDS: ReadonlyArray<readonly [key: string, shownAs: string]> = [
  ['job', 'job'], ['stage', 'stage'], ['worker', 'worker'], ['splitId', 'split'],
];

/** A destination for pino that writes each entry as a readable line on stderr. */
export function prettyLogDestination(): DestinationStream {
  const prettify = prettyFactory({
    colorize: stderrTakesColours(),
    translateTime: 'SYS:HH:MM:ss.l',
    singleLine: true,
    ignore: ['pid', 'hostname', 'actor', ...ID_FIELDS.map(([key]) => key)].join(','),
    messageFormat: (entry, messageKey) => `${entryHeading(entry)} ${String(entry[messageKey] ?? '')}`,
  });
  const stderr = pino.destination({ dest: 2, sync: true });
  return { write: (line: string) => stderr.write(prettify(line)) };
}

/** `(Worker job=nightly stage=source worker=2)`: the actor and the ids the entry has. */
function entryHeading(entry: Record<string, unknown>): string {
  const ids = ID_FIELDS.filter(([key]) => entry[key] !== undefined).map(([key, shownAs]) => `${shownAs}=${String(entry[key])}`);
  return `(${[typeof entry['actor'] === 'string' ? entry['actor'] : 'solstice', ...ids].join(' ')})`;
}

/** Colours only on a terminal that shows them, unless NO_COLOR is set (no-color.org). */
function stderrTakesColours(): boolean {
  return isatty(2) && process.env['TERM'] !== 'dumb' && !process.env['NO_COLOR'];
}
