/**
 * What `solstice-node run` prints, as a user sees it: live bars per stage at
 * a terminal (the CLI run under a pseudo-terminal by util-linux `script`),
 * plain progress lines in a pipe, nothing but errors under --quiet, and the
 * summary or the failure as JSON under --json. Every run is waited on to
 * its exit.
 */
import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobSummary } from '../runtime/runner-options.js';
import type { ErrorJson } from '../bin/run-command.js';
import { runCli, runCliInTerminal } from './support/cli.js';
import { tempDir } from './support/files.js';
import { expectedOrders } from './support/orders-expected.js';

const BUSY_WORKFLOW = fileURLToPath(new URL('./fixtures/busy_workflow.js', import.meta.url));
const ROWS = 5000;
/** simple_etl's stages, fused into one chain. */
const ETL_STAGES = ['source', 'transform', 'filter', 'sink'];
/** A plain progress line: `[1.2s] source 0/1 splits 0 rows (1 running) | ...` or `[0.1s] starting`. */
const PROGRESS_LINE = /^\[\d+\.\ds\] /;

/** A sample of simple_etl orders whose second line is cut short. */
async function badOrders(dir: string): Promise<string> {
  const input = join(dir, 'bad.jsonl');
  await writeFile(input, '{"order_id":1,"customer_id":1,"price":10,"qty":20}\n{"order_id":2,"price":\n');
  return input;
}

test('--json prints the summary as one JSON document whose per-stage rows match the generated orders', async (t) => {
  const dir = await tempDir('solstice-cli-json-');
  const result = await runCli(['run', '--workflow', 'simple_etl', '--job-id', 'json', '--rows', String(ROWS), '--json'], { cwd: dir });
  t.is(result.code, 0, result.stderr);
  const summary = JSON.parse(result.stdout) as JobSummary;
  const expected = await expectedOrders(join(dir, 'data', 'simple_etl', `orders-${ROWS}.jsonl`), 100);
  t.true(expected.length > 0 && expected.length < ROWS);
  t.is(summary.jobId, 'json');
  t.is(summary.restarts, 0);
  t.deepEqual(summary.stages.map((stage) => stage.stage), ETL_STAGES);
  const byStage = Object.fromEntries(summary.stages.map((stage) => [stage.stage, stage]));
  t.is(byStage.source!.rowsOut, ROWS);
  t.is(byStage.transform!.rowsIn, ROWS);
  t.is(byStage.transform!.rowsOut, ROWS);
  t.is(byStage.filter!.rowsIn, ROWS);
  t.is(byStage.filter!.rowsOut, expected.length);
  t.is(byStage.sink!.rowsIn, expected.length);
  t.is(byStage.source!.splitsIn, byStage.source!.splitsPlanned!);
  t.notRegex(result.stdout, /^stage\s+workers/m, 'no summary table');
});

test('--json prints a failure as its class, message, details and causes, and the text on stderr', async (t) => {
  const dir = await tempDir('solstice-cli-json-fail-');
  const input = await badOrders(dir);
  const result = await runCli(['run', '--workflow', 'simple_etl', '--job-id', 'json-fail', '--input', input, '--json'], { cwd: dir });
  t.is(result.code, 1, result.stderr);
  const { error } = JSON.parse(result.stdout) as { error: ErrorJson };
  t.is(error.class, 'OperatorError');
  t.like(error.details, { stage: 'source' });
  t.is(error.cause?.class, 'InputFormatError');
  t.like(error.cause?.details, { file: input, line: 2 });
  t.regex(error.cause!.message, /\(line 2\): malformed JSON/);
  t.is(error.cause?.cause?.class, 'SyntaxError');
  t.regex(result.stderr, /^error: OperatorError: Stage 'source' failed/m);
  t.regex(result.stderr, /^ {2}caused by InputFormatError: .*\(line 2\)/m);
});

test('--quiet prints nothing on stdout and no progress for a good run', async (t) => {
  const dir = await tempDir('solstice-cli-quiet-');
  const result = await runCli(['run', '--workflow', 'simple_etl', '--job-id', 'quiet', '--rows', String(ROWS), '--quiet', '--progress-interval', '0.05'], { cwd: dir });
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, '');
  t.false(result.stderr.split('\n').some((line) => PROGRESS_LINE.test(line)), result.stderr);
});

test('--quiet still prints the error of a failed run on stderr, and exits 1', async (t) => {
  const dir = await tempDir('solstice-cli-quiet-fail-');
  const input = await badOrders(dir);
  const result = await runCli(['run', '--workflow', 'simple_etl', '--job-id', 'quiet-fail', '--input', input, '--quiet'], { cwd: dir });
  t.is(result.code, 1);
  t.is(result.stdout, '');
  t.regex(result.stderr, /^error: OperatorError: .*\(line 2\): malformed JSON/m);
});

test('at a terminal, a bar per stage is drawn, stopped with the last figures, then the summary; no plain lines', async (t) => {
  const dir = await tempDir('solstice-cli-tty-');
  const { code, fragments, raw } = await runCliInTerminal(['run', '--workflow', 'simple_etl', '--job-id', 'tty', '--rows', String(ROWS)], dir);
  t.is(code, 0, raw);
  const expected = await expectedOrders(join(dir, 'data', 'simple_etl', `orders-${ROWS}.jsonl`), 100);
  const rowsIn: Record<string, number> = { source: ROWS, transform: ROWS, filter: ROWS, sink: expected.length };
  const plan = fragments.indexOf('plan: source+transform+filter+sink');
  t.true(plan > 0, fragments.join('\n'));
  for (const stage of ETL_STAGES) {
    // Every split of the source goes through the stages fused after it: theirs are known too.
    const last = new RegExp(`^${stage}\\s+█{20}\\s+(\\d+)/\\1 splits\\s+${rowsIn[stage]!.toLocaleString('en-US')} rows\\s+[\\d,]+ rows/s .*workers 4\\s+done$`);
    const at = fragments.findLastIndex((fragment) => last.test(fragment));
    t.true(at >= 0 && at < plan, `${stage}'s bar, finished, above the summary:\n${fragments.join('\n')}`);
  }
  t.true(fragments.some((fragment) => /^source\s.*\bqueue \d+\s/.test(fragment)), 'the queue at the chain\'s first stage');
  t.true(fragments.some((fragment) => /^sink\s.*\bbuffered \d+\/\d+\s/.test(fragment)), 'the output buffer at its last');
  t.true(fragments.slice(plan).some((fragment) => /^stage\s+workers\s+splits in/.test(fragment)), 'the summary table');
  t.true(fragments.some((fragment) => /^job tty finished in /.test(fragment)));
  t.false(fragments.some((fragment) => PROGRESS_LINE.test(fragment)), 'no plain progress lines');
  t.regex(raw, /\x1b\[\?25h/, 'the cursor is shown again');
});

test('at a terminal, the bars move while the job runs: a split in flight, then done', async (t) => {
  const dir = await tempDir('solstice-cli-tty-live-');
  // One split of 2000 rows at 1 ms each: about two seconds, redrawn at the terminal's default of 0.5 s.
  const { code, fragments, raw } = await runCliInTerminal(['run', '--workflow', BUSY_WORKFLOW, '--job-id', 'live', '--rows', '2000', '--spin-ms', '1'], dir);
  t.is(code, 0, raw);
  t.true(fragments.some((fragment) => /^source\s+░{20}\s+0\/1 splits\s+1 running\s+0 rows\s+0 rows\/s\s+queue 0\s.*workers 1$/.test(fragment)), fragments.join('\n'));
  t.true(fragments.some((fragment) => /^source\s+█{20}\s+1\/1 splits\s+2,000 rows .*done$/.test(fragment)), fragments.join('\n'));
  t.true(fragments.some((fragment) => /^spin\s+█{20}\s+1\/1 splits\s+2,000 rows .*done$/.test(fragment)), fragments.join('\n'));
  t.false(fragments.some((fragment) => PROGRESS_LINE.test(fragment)), 'no plain progress lines');
});

test('at a terminal, --quiet draws no bars and prints no summary', async (t) => {
  const dir = await tempDir('solstice-cli-tty-quiet-');
  const { code, fragments, raw } = await runCliInTerminal(['run', '--workflow', 'simple_etl', '--job-id', 'tty-quiet', '--rows', String(ROWS), '--quiet'], dir);
  t.is(code, 0, raw);
  t.deepEqual(fragments, []);
});

test('without a terminal, progress is plain lines on stderr, as before', async (t) => {
  const dir = await tempDir('solstice-cli-lines-');
  const result = await runCli(['run', '--workflow', BUSY_WORKFLOW, '--job-id', 'lines', '--rows', '2000', '--spin-ms', '1', '--progress-interval', '0.1'], { cwd: dir });
  t.is(result.code, 0, result.stderr);
  const lines = result.stderr.split('\n').filter(Boolean);
  t.true(lines.some((line) => /^\[\d+\.\ds\] source 0\/1 splits 0 rows \(1 running\) \| spin 0 splits 0 rows/.test(line)), result.stderr);
  t.true(lines.every((line) => PROGRESS_LINE.test(line)), result.stderr);
  t.notRegex(result.stderr, /\x1b/, 'no terminal control sequences');
  t.regex(result.stdout, /^stage\s+workers\s+splits in/m);
});
