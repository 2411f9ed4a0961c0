import test from 'ava';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { runCli } from './support/cli.js';
import { tempDir } from './support/files.js';

const COPY_WORKFLOW = fileURLToPath(new URL('./fixtures/copy_workflow.js', import.meta.url));

async function runCopy(input: string, extra: string[] = []) {
  const output = join(await tempDir(), 'out');
  const result = await runCli(['run', '--workflow', COPY_WORKFLOW, '--job-id', 'bad', '--input', input, '--output', output, ...extra]);
  return { ...result, output };
}

/** Visible output files must be complete: every line parses. */
async function assertOnlyCompleteOutput(t: import('ava').ExecutionContext, output: string, allowed: (row: { id: number }) => boolean) {
  if (!existsSync(output)) return;
  // Staged, uncommitted files live under _staging/, which readers skip; everything else must be complete.
  const names = (await readdir(output)).filter((name) => !name.startsWith('_'));
  for (const name of names) {
    t.regex(name, /^part-source-\d+\.jsonl$/);
    const text = await readFile(join(output, name), 'utf8');
    t.true(text.endsWith('\n'));
    for (const line of text.trim().split('\n')) t.true(allowed(JSON.parse(line) as { id: number }));
  }
}

test('a malformed JSON line fails the run, naming the file and line', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'orders.jsonl');
  const good = Array.from({ length: 200 }, (_, i) => JSON.stringify({ id: i }));
  await writeFile(input, [...good.slice(0, 150), '{"id": 150, "broken": ', ...good.slice(151)].join('\n') + '\n');
  const { code, stderr, output } = await runCopy(input, ['--split-bytes', '300']);
  t.is(code, 1);
  t.regex(stderr, /InputFormatError/);
  t.true(stderr.includes(`${input} (line 151): malformed JSON`), stderr);
  await assertOnlyCompleteOutput(t, output, (row) => row.id !== 150);
});

test('a CSV row with the wrong number of fields names the file and line', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'rows.csv');
  await writeFile(input, 'id,name\n1,a\n2,b\n3,c,extra\n4,d\n');
  const { code, stderr, output } = await runCopy(input);
  t.is(code, 1);
  t.true(stderr.includes(`${input} (line 4): expected 2 fields (id, name), got 3`), stderr);
  await assertOnlyCompleteOutput(t, output, () => false);
});

test('a CSV value of the wrong type names the column, file and line', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'typed.csv');
  // Types are inferred from the first 1000 rows; a later row that breaks them is an error.
  const lines = ['id,price', ...Array.from({ length: 1200 }, (_, i) => `${i},${i}.5`)];
  lines.push('1200,cheap');
  await writeFile(input, lines.join('\n') + '\n');
  const { code, stderr } = await runCopy(input);
  t.is(code, 1);
  t.true(stderr.includes(`${input} (line 1202): column 'price' expects number, got "cheap"`), stderr);
});

test('a truncated Parquet file is reported by name', async (t) => {
  const dir = await tempDir();
  const bytes = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'id', data: Int32Array.from([1, 2, 3]), type: 'INT32' }] }));
  const input = join(dir, 'cut.parquet');
  await writeFile(input, bytes.subarray(0, bytes.length - 20));
  const { code, stderr, output } = await runCopy(input);
  t.is(code, 1);
  t.true(stderr.includes(`${input}: not a readable Parquet file`), stderr);
  t.false(existsSync(join(output, 'part-source-00000.jsonl')));
});

test('a missing input path is reported before anything runs', async (t) => {
  const dir = await tempDir();
  const { code, stderr, output } = await runCopy(join(dir, 'nowhere', '*.jsonl'));
  t.is(code, 1);
  t.regex(stderr, /InputNotFoundError: Input not found: '.*nowhere\/\*\.jsonl' matches no file/);
  await assertOnlyCompleteOutput(t, output, () => false);
});

test('an operator that throws fails the job, naming the stage, split and row', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'ids.jsonl');
  await writeFile(input, Array.from({ length: 100 }, (_, i) => JSON.stringify({ id: i })).join('\n') + '\n');
  const { code, stderr, output } = await runCopy(input, ['--fail-on-id', '42']);
  t.is(code, 1);
  t.regex(stderr, /OperatorError: Stage 'check' failed on split 'check\/source-00000': row 43 \(\{"id":42\}\): refusing id 42/);
  t.regex(stderr, /caused by RowFunctionError/);
  await assertOnlyCompleteOutput(t, output, () => false);
});

test('an unknown workflow names what was tried and the built-in workflows', async (t) => {
  const { code, stderr } = await runCli(['run', '--workflow', 'no_such_flow', '--job-id', 'x']);
  t.is(code, 1);
  t.regex(stderr, /WorkflowNotFoundError: Workflow 'no_such_flow': no module found at .*no_such_flow.*built-in workflows: simple_etl/);
});

test('a workflow naming an unknown upstream stage fails with the known stage names', async (t) => {
  const dir = await tempDir();
  await writeFile(join(dir, 'in.jsonl'), '{"id":1}\n');
  const { code, stderr } = await runCopy(join(dir, 'in.jsonl'), ['--bad-upstream', 'sauce']);
  t.is(code, 1);
  t.regex(stderr, /JobDefinitionError: Stage 'check' names unknown upstream 'sauce'; add 'sauce' first \(known: source\)/);
});

test('run without a workflow explains the missing option', async (t) => {
  const { code, stderr } = await runCli(['run', '--job-id', 'x']);
  t.not(code, 0);
  t.regex(stderr, /Missing required argument: workflow/);
});
