/**
 * Runs the catalogue: every case both ways, under the default `onError:
 * 'fail'` and under `'dead-letter'`, and through the CLI where the case says
 * how the CLI reports it. What each run must give comes from the case's
 * oracle (`CaseInput.good`, `.bad`), never from the code under test:
 *
 * - under 'fail', a case that `fails` rejects with its error class, cause and
 *   message, naming one of its bad records; whatever output is visible is
 *   whole and holds good rows only, none twice; no dead letter is written;
 * - under 'dead-letter', a case with bad records completes: every good row is
 *   in the output exactly once, and every bad record is exactly once in the
 *   dead letters, by stage, file, line, row and text, with its error; a case
 *   with none (a file that cannot be opened, a job that is not valid) fails
 *   as under 'fail', and writes no dead letter;
 * - a case that does not fail reads its input whole both ways.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SolsticeError, type ErrorPolicy, type Row } from '../../lib/index.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/files.js';
import type { BadInputCase, CaseInput, CaseRun, ExpectedError, ExpectedLetter } from './case.js';
import { canonical, deadLettersIn, runHere, visibleOutput, type ReportedError, type RunFolders, type RunReport } from './outcome.js';

const CASE_WORKFLOW = fileURLToPath(new URL('../fixtures/bad_input_workflow.js', import.meta.url));
const CASE_PROCESS = fileURLToPath(new URL('../fixtures/bad_input_run.js', import.meta.url));

/** The user an unprivileged child runs as: nobody. */
const NOBODY = 65534;

export function registerCases(cases: readonly BadInputCase[]): void {
  for (const badInput of cases) {
    test(`${badInput.name}: under onError 'fail' (the default)`, (t) => underFail(t, badInput));
    test(`${badInput.name}: under onError 'dead-letter'`, (t) => underDeadLetter(t, badInput));
    if (badInput.cli && badInput.job) test(`${badInput.name}: the CLI says so on stderr and exits 1`, (t) => throughCli(t, badInput));
  }
}

interface Run {
  input: CaseInput;
  report: RunReport;
  output: Row[];
  letters: Row[];
}

async function underFail(t: ExecutionContext, badInput: BadInputCase): Promise<void> {
  const { input, report, output, letters } = await run(t, badInput, undefined);
  if (!badInput.fails) {
    assertReadWhole(t, input, report, output, letters);
    return;
  }
  assertFailure(t, badInput.fails(input), input, report);
  assertSubsetOfGood(t, input, output);
  t.deepEqual(letters, [], 'no dead letter under onError fail');
}

async function underDeadLetter(t: ExecutionContext, badInput: BadInputCase): Promise<void> {
  const { input, report, output, letters } = await run(t, badInput, 'dead-letter');
  if (!badInput.fails) {
    assertReadWhole(t, input, report, output, letters);
    return;
  }
  if (input.bad.length === 0) {
    // Nothing record-level went wrong: the policy does not apply, and the job fails as under 'fail'.
    assertFailure(t, badInput.fails(input), input, report);
    assertSubsetOfGood(t, input, output);
    t.deepEqual(letters, [], 'no dead letter for an error that is not about a record');
    return;
  }
  t.is(report.error, undefined, `the run completes: ${report.error?.message ?? ''}`);
  t.deepEqual(sortedRows(output), sortedRows(input.good), 'every good row comes out exactly once');
  const key = (letter: Row | ExpectedLetter) => canonical({ stage: letter.stage, file: letter.file, line: letter.line, row: letter.row, record: letter.record });
  t.deepEqual(letters.map(key).sort(), input.bad.map(key).sort(), 'every bad record is a dead letter exactly once, naming its stage, file, line, row and text');
  const expected = new Map(input.bad.map((letter) => [key(letter), letter]));
  for (const letter of letters) {
    const wanted = expected.get(key(letter));
    if (!wanted) continue;
    t.is(letter.error, wanted.error, `the error class of ${key(letter).slice(0, 200)}`);
    t.regex(String(letter.message), wanted.message);
  }
  t.is(report.deadLetters, input.bad.length, 'the summary counts them');
}

async function throughCli(t: ExecutionContext, badInput: BadInputCase): Promise<void> {
  const dir = await caseDir(t);
  const input = await badInput.input(await folder(join(dir, 'in')));
  const output = join(dir, 'out');
  const result = await runCli(cliArgs(badInput, input, 'cli', output), { cwd: dir });
  t.is(result.code, 1, result.stderr);
  for (const pattern of badInput.cli!.stderr?.(input) ?? []) t.regex(result.stderr, pattern);
  assertSubsetOfGood(t, input, await visibleOutput(output, badInput.sink ?? 'jsonl'));
}

/** Writes the case's input in a fresh folder and runs it under `onError`, where the case says. */
async function run(t: ExecutionContext, badInput: BadInputCase, onError: ErrorPolicy | undefined): Promise<Run> {
  const dir = await caseDir(t);
  const input = await badInput.input(await folder(join(dir, 'in')));
  const folders: RunFolders = { output: join(dir, 'run', 'out'), deadLetters: join(dir, 'run', 'dead'), state: join(dir, 'run', 'state') };
  const jobId = `bad-${onError ?? 'fail'}`;
  let report: RunReport;
  if (!badInput.job) report = await runCliOnly(badInput, input, onError, folders);
  else if (badInput.child) report = await runInChild(badInput, dir, { jobId, source: input.source, output: folders.output, onError }, folders);
  else report = await runHere(badInput, { jobId, source: input.source, output: folders.output, onError }, folders);
  return { input, report, output: await visibleOutput(folders.output, badInput.sink ?? 'jsonl'), letters: await deadLettersIn(folders.deadLetters) };
}

/** A case of the CLI's own arguments: its error is what the CLI prints (exit code 1, or not 0). */
async function runCliOnly(badInput: BadInputCase, input: CaseInput, onError: ErrorPolicy | undefined, folders: RunFolders): Promise<RunReport> {
  const extra = onError === undefined ? [] : ['--on-error', onError, '--dead-letter', folders.deadLetters];
  const result = await runCli([...cliArgs(badInput, input, 'cli-only', folders.output), ...extra]);
  if (result.code === 0) return {};
  return { error: { name: 'CliError', message: result.stderr, fields: { code: result.code } } };
}

function cliArgs(badInput: BadInputCase, input: CaseInput, jobId: string, output: string): string[] {
  if (badInput.cli?.args) return badInput.cli.args(input);
  return ['run', '--workflow', CASE_WORKFLOW, '--job-id', jobId, '--case', badInput.name, '--input', input.source, '--output', output, '--progress-interval', '0'];
}

/**
 * Runs the case's job in a process of its own (test/fixtures/bad_input_run.ts):
 * as nobody when it must be unprivileged and this process is root (who reads
 * any file), with its output in a folder nobody owns.
 */
async function runInChild(badInput: BadInputCase, dir: string, caseRun: CaseRun, folders: RunFolders): Promise<RunReport> {
  const asNobody = badInput.child!.unprivileged === true && process.getuid?.() === 0;
  const runDir = await folder(join(dir, 'run'));
  if (asNobody) {
    await chmod(dir, 0o755);
    await chown(runDir, NOBODY, NOBODY);
  }
  const args = JSON.stringify({ case: badInput.name, ...caseRun, stateBackend: folders.state, deadLetter: folders.deadLetters });
  const child = spawn(process.execPath, [CASE_PROCESS, args], { cwd: runDir, stdio: ['ignore', 'pipe', 'pipe'], ...(asNobody ? { uid: NOBODY, gid: NOBODY } : {}) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`the case's process exited with ${code}:\n${stderr}`);
  const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as RunReport & { peakKiB: number };
  const peakMiB = badInput.child!.peakMiB;
  if (peakMiB !== undefined && report.peakKiB / 1024 > peakMiB) {
    throw new Error(`the case's process peaked at ${Math.round(report.peakKiB / 1024)} MiB of memory, more than ${peakMiB} MiB`);
  }
  return report;
}

function assertFailure(t: ExecutionContext, expected: ExpectedError, input: CaseInput, report: RunReport): void {
  const error = report.error;
  if (!error) {
    t.fail(`the run completed; expected ${expected.error.name}`);
    return;
  }
  assertClass(t, error, expected.error);
  t.regex(error.message, expected.message);
  const named = expected.cause ? error.cause : error;
  if (expected.cause) {
    if (!named) {
      t.fail(`${error.name} has no cause; expected ${expected.cause.name}`);
      return;
    }
    assertClass(t, named, expected.cause);
  }
  for (const [field, value] of Object.entries(expected.fields ?? {})) t.deepEqual(named!.fields[field], value, `${named!.name}.${field}`);
  assertNamesABadRecord(t, named!, expected, input);
}

/** An error with a line (or a row) names one of the bad records, unless the case says which line (or row) it names. */
function assertNamesABadRecord(t: ExecutionContext, error: ReportedError, expected: ExpectedError, input: CaseInput): void {
  const { file, line, row } = error.fields as { file?: string; line?: number; row?: number };
  if (line !== undefined && expected.fields?.line === undefined && input.bad.some((letter) => letter.line !== null)) {
    t.true(input.bad.some((letter) => letter.file === file && letter.line === line), `${file} line ${line} is one of the bad records`);
  }
  if (row !== undefined && expected.fields?.row === undefined && input.bad.some((letter) => letter.row !== null)) {
    t.true(input.bad.some((letter) => letter.row === row), `row ${row} is one of the bad records`);
  }
}

/**
 * Of the class, by name; and by `instanceof` for a Solstice error the run
 * rejected with in this process (they keep their class across actors and
 * processes; a plain Error, such as a TypeError a user function threw, comes
 * back as an Error of that name).
 */
function assertClass(t: ExecutionContext, error: ReportedError, expected: ExpectedError['error']): void {
  t.is(error.name, expected.name, error.message.slice(0, 300));
  if (error.instance !== undefined && expected.prototype instanceof SolsticeError) t.true(error.instance instanceof expected, `${error.name} is a ${expected.name}`);
}

function assertReadWhole(t: ExecutionContext, input: CaseInput, report: RunReport, output: Row[], letters: Row[]): void {
  t.is(report.error, undefined, `the run completes: ${report.error?.message ?? ''}`);
  t.deepEqual(sortedRows(output), sortedRows(input.good), 'every row comes out exactly once');
  t.deepEqual(letters, [], 'no dead letter');
}

/** What a failed run left visible is good rows, none twice. */
function assertSubsetOfGood(t: ExecutionContext, input: CaseInput, output: Row[]): void {
  const good = new Set(input.good.map(canonical));
  const seen = new Set<string>();
  const wrong = output.map(canonical).filter((row) => {
    const twice = seen.has(row);
    seen.add(row);
    return twice || !good.has(row);
  });
  t.deepEqual(wrong, [], 'what is visible of the output is good rows, none twice');
}

function sortedRows(rows: Row[]): string[] {
  return rows.map(canonical).sort();
}

/** A fresh folder for one test, removed when it ends (a case may write 100 MB). */
async function caseDir(t: ExecutionContext): Promise<string> {
  const dir = await tempDir('solstice-bad-input-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function folder(path: string): Promise<string> {
  await mkdir(path, { recursive: true });
  return path;
}
