/**
 * The framework's log lines as a user sees them: readable lines at a
 * terminal (the CLI run under a pseudo-terminal by util-linux `script`),
 * from workers in threads and forked processes too, each naming the job,
 * stage, worker and split it is about; JSON lines in a pipe, which a
 * program reads; and either one when asked for. The job's fixture logs a
 * line per split from its `count` stage; its four splits are known in
 * advance, so the lines expected are too.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { ArgumentError, type WorkerMode } from '../lib/index.js';
import { createJob } from './fixtures/logging_workflow.js';
import { runCli, runCliInTerminal } from './support/cli.js';
import { tempDir } from './support/files.js';

const LOGGING_WORKFLOW = fileURLToPath(new URL('./fixtures/logging_workflow.js', import.meta.url));
/** The fixture's splits as its `count` stage sees them: four source splits, two workers. */
const COUNTED_SPLITS = ['count/source-00000', 'count/source-00001', 'count/source-00002', 'count/source-00003'];
/** The start of a readable line: `[14:02:11.305] INFO: `. */
const READABLE_LINE = /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL): /;
/** A readable line of the `count` stage's operator: `[...] INFO: (Worker job=J stage=count worker=W split=S) split counted {"rows":10}`. */
const COUNTED_LINE = /^\[[\d:.]+\] INFO: \(Worker job=(\S+) stage=count worker=([01]) split=(\S+)\) split counted \{"rows":10\}$/;

interface LogEntry {
  level: number;
  msg: string;
  actor: string;
  job?: string;
  stage?: string;
  worker?: number;
  splitId?: string;
}

function runArgs(jobId: string, workers: WorkerMode, ...more: string[]): string[] {
  return ['run', '--workflow', LOGGING_WORKFLOW, '--job-id', jobId, '--workers', workers, '--log-level', 'info', '--progress-interval', '0', ...more];
}

/** What a terminal shows, line by line, without its colours. */
function terminalLines(raw: string): string[] {
  return raw.replace(/\x1b\[[0-9;]*m/g, '').split(/\r?\n/).map((line) => line.trimEnd());
}

/** Every line of `stderr` as a JSON log entry; a line that is not one fails the parse, naming it. */
function jsonEntries(stderr: string): LogEntry[] {
  return stderr.split('\n').filter(Boolean).map((line) => {
    try {
      return JSON.parse(line) as LogEntry;
    } catch {
      throw new Error(`not a JSON log line: ${line}\nin:\n${stderr}`);
    }
  });
}

for (const workers of ['forked', 'threaded'] as const) {
  test(`at a terminal, log lines are readable and name the job, stage, worker and split, from ${workers} workers too`, async (t) => {
    const { code, raw } = await runCliInTerminal(runArgs('nightly', workers), await tempDir('solstice-logs-tty-'));
    t.is(code, 0, raw);
    const lines = terminalLines(raw);
    t.false(lines.some((line) => line.startsWith('{')), `no JSON line:\n${raw}`);
    const logged = lines.filter((line) => READABLE_LINE.test(line));
    t.true(logged.length > COUNTED_SPLITS.length, raw);
    t.true(logged.every((line) => line.includes(' job=nightly')), logged.join('\n'));
    t.true(logged.some((line) => /^\[[\d:.]+\] INFO: \(StageMaster job=nightly stage=source\+count\+sink\) planned source splits \{"splits":4,"restored":0\}$/.test(line)), logged.join('\n'));
    const counted = logged.map((line) => COUNTED_LINE.exec(line)).filter((match) => match !== null);
    t.deepEqual(counted.map((match) => match[3]).sort(), COUNTED_SPLITS, logged.join('\n'));
    t.true(counted.every((match) => match[1] === 'nightly'));
    t.true(lines.some((line) => /^job nightly finished in /.test(line)), 'the summary follows');
  });
}

test('in a pipe, log lines stay JSON: the job on every line, the stage on every stage master and worker line, the split on per-split lines', async (t) => {
  const result = await runCli(runArgs('piped', 'forked'), { cwd: await tempDir('solstice-logs-json-') });
  t.is(result.code, 0, result.stderr);
  const entries = jsonEntries(result.stderr);
  t.true(entries.length > COUNTED_SPLITS.length, result.stderr);
  t.true(entries.every((entry) => entry.job === 'piped'), result.stderr);
  const ofStages = entries.filter((entry) => entry.actor === 'StageMaster' || entry.actor === 'Worker');
  t.true(ofStages.length > 0);
  t.true(ofStages.every((entry) => typeof entry.stage === 'string' && entry.stage.length > 0), result.stderr);
  const counted = entries.filter((entry) => entry.msg === 'split counted');
  t.deepEqual(counted.map((entry) => entry.splitId).sort(), COUNTED_SPLITS);
  t.true(counted.every((entry) => entry.actor === 'Worker' && entry.stage === 'count' && (entry.worker === 0 || entry.worker === 1)), result.stderr);
});

test('--log-format json keeps JSON lines at a terminal, from forked workers too', async (t) => {
  const { code, raw } = await runCliInTerminal(runArgs('asked-json', 'forked', '--log-format', 'json'), await tempDir('solstice-logs-tty-json-'));
  t.is(code, 0, raw);
  const lines = terminalLines(raw);
  t.false(lines.some((line) => READABLE_LINE.test(line)), raw);
  const entries = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogEntry);
  t.deepEqual(entries.filter((entry) => entry.msg === 'split counted').map((entry) => entry.splitId).sort(), COUNTED_SPLITS);
  t.true(entries.every((entry) => entry.job === 'asked-json'));
});

test('--log-format pretty, or SOLSTICE_LOG_FORMAT=pretty, gives readable lines in a pipe, without colours', async (t) => {
  for (const [jobId, asked] of [['by-flag', { args: ['--log-format', 'pretty'], env: {} }], ['by-env', { args: [], env: { SOLSTICE_LOG_FORMAT: 'pretty' } }]] as const) {
    const result = await runCli(runArgs(jobId, 'threaded', ...asked.args), { cwd: await tempDir('solstice-logs-pretty-'), env: asked.env });
    t.is(result.code, 0, result.stderr);
    const lines = result.stderr.split('\n').filter(Boolean);
    t.true(lines.length > COUNTED_SPLITS.length && lines.every((line) => READABLE_LINE.test(line) && line.includes(` job=${jobId}`)), result.stderr);
    t.notRegex(result.stderr, /\x1b/, 'no terminal control sequences');
    t.deepEqual(lines.map((line) => COUNTED_LINE.exec(line)?.[3]).filter((split) => split !== undefined).sort(), COUNTED_SPLITS, result.stderr);
  }
});

test('a log format that does not exist is refused by name: the option, or SOLSTICE_LOG_FORMAT', async (t) => {
  t.throws(() => createJob('log-format', {}).createRunner({ logFormat: 'fancy' as never }), { instanceOf: ArgumentError, message: /^logFormat must be 'json', 'pretty', got "fancy"$/ });
  const result = await runCli(runArgs('bad-format', 'in-process'), { env: { SOLSTICE_LOG_FORMAT: 'fancy' } });
  t.is(result.code, 1);
  t.regex(result.stderr, /^error: ArgumentError: SOLSTICE_LOG_FORMAT must be 'json', 'pretty', got "fancy"$/m);
});
