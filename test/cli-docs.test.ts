/**
 * docs/cli.md, tried as a new user would: from a folder of their own, not
 * the package's, with the commands as the page writes them.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { runCli } from './support/cli.js';
import { codeBlocks } from './support/doc-blocks.js';
import { PACKAGE_ENTRY_URL, REPO_ROOT, tempDir } from './support/files.js';
import { sampleOrders } from '../workflows/simple_etl/sample-orders.js';

const CLI_DOC = readFile(join(REPO_ROOT, 'docs', 'cli.md'), 'utf8');

/** The words of a command line as a POSIX shell splits them (single and double quotes, no expansions). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const pattern = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (const match of line.matchAll(pattern)) words.push(match[1] ?? match[2] ?? match[3]!);
  return words;
}

/** The `--options` of the first column of the option table that follows `heading`-less text in cli.md. */
function optionTable(doc: string): string[] {
  const rows = doc.split('\n').filter((line) => line.startsWith('| `--'));
  return rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`(--[a-z-]+)`/g)].map((m) => m[1]!));
}

/** The orders the simple_etl sample generator writes, with the page's filter: total = price × qty over 100. */
function expectedSampleOutput(rows: number): { order_id: number; total: number }[] {
  return [...sampleOrders(rows)]
    .map((order) => ({ order_id: order.order_id, total: Math.round(order.price * order.qty * 100) / 100 }))
    .filter((order) => order.total > 100);
}

async function parquetRows(dir: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.parquet'))) {
    rows.push(...await parquetReadObjects({ file: await asyncBufferFromFile(join(dir, name)) }));
  }
  return rows;
}

async function jsonLinesRows(dir: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.jsonl'))) {
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) if (line.trim()) rows.push(JSON.parse(line) as Record<string, unknown>);
  }
  return rows;
}

test("every option in cli.md's run table is one that `run --help` lists, and `start --help` too except --workers", async (t) => {
  const documented = optionTable(await CLI_DOC).filter((option) => option !== '--anything');
  t.true(documented.length >= 10, documented.join(' '));
  const run = await runCli(['run', '--help']);
  t.is(run.code, 0, run.stderr);
  const start = await runCli(['start', '--help']);
  t.is(start.code, 0, start.stderr);
  for (const option of documented) {
    t.regex(run.stdout, new RegExp(`${option}\\b`), `run --help lists ${option}`);
    if (option !== '--workers') t.regex(start.stdout, new RegExp(`${option}\\b`), `start --help lists ${option}`);
  }
  t.notRegex(start.stdout, /^\s+--workers\b/m, "start has no --workers option");
});

test("each command's synopsis in cli.md names options its --help lists", async (t) => {
  const synopses = codeBlocks('docs/cli.md', '').map((block) => block.code).filter((code) => code.startsWith('solstice-node ') && !isWorkflowSynopsis(code));
  t.is(synopses.length, 7, synopses.join('\n'));
  for (const synopsis of synopses) {
    const command = synopsis.split(' ').slice(1).filter((word) => /^[a-z]+$/.test(word));
    const help = await runCli([...command, '--help']);
    t.is(help.code, 0, `${command.join(' ')} --help: ${help.stderr}`);
    const options = [...synopsis.matchAll(/(--[a-z-]+|<[a-z]+>)/g)].map((m) => m[1]!).filter((option) => option !== '--key');
    t.true(options.length > 0, synopsis);
    for (const option of options) t.regex(help.stdout, new RegExp(`${option.replace(/[<>]/g, '')}\\b`), `${command.join(' ')} --help lists ${option}`);
  }
});

test("each built-in workflow's synopsis in cli.md names options the workflow declares", async (t) => {
  const synopses = codeBlocks('docs/cli.md', '').map((block) => block.code).filter(isWorkflowSynopsis);
  t.true(synopses.length >= 1);
  for (const synopsis of synopses) {
    const workflow = /--workflow (\w+)/.exec(synopsis)![1]!;
    const { options: declared } = (await import(`../workflows/${workflow}/index.js`)) as { options: Record<string, unknown> };
    const options = [...synopsis.matchAll(/--([a-z-]+)/g)].map((m) => m[1]!).filter((option) => !['workflow', 'job-id'].includes(option));
    for (const option of options) {
      const key = option.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      t.true(Object.hasOwn(declared, key), `${workflow} declares --${option} (options.${key})`);
    }
  }
});

/** A synopsis of a built-in workflow's own options, `solstice-node run --workflow video_slice ...`. */
function isWorkflowSynopsis(code: string): boolean {
  return /^solstice-node run --workflow \w+ /.test(code);
}

test("cli.md's run-then-list example works as written, from a folder other than the package's", async (t) => {
  const lines = codeBlocks('docs/cli.md', 'sh')
    .flatMap((block) => block.code.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line.startsWith('solstice-node '));
  t.deepEqual(lines.map((line) => shellWords(line).slice(1, 3).join(' ')), ['run --workflow', 'checkpoints list']);
  const cwd = await tempDir('solstice-user-');
  const results = [];
  for (const line of lines) {
    const result = await runCli(shellWords(line).slice(1), { cwd });
    t.is(result.code, 0, `${line}\n${result.stderr}`);
    results.push(result);
  }
  t.regex(results[1]!.stdout, /^1\s+\S+\s+yes \(job complete\)$/m);
  t.true(existsSync(join(cwd, '.solstice', 'ex1', 'checkpoints', '0000000001', 'MANIFEST.json')), 'state backend root, job id, checkpoints');
  const rows = await parquetRows(join(cwd, 'out', 'ex1'));
  const written = rows.map((row) => ({ order_id: Number(row.order_id), total: Number(row.total) })).sort((a, b) => a.order_id - b.order_id);
  t.deepEqual(written, expectedSampleOutput(1000));
});

test('--workflow workflows/simple_etl works from any folder, --input given twice reads both, and checkpoints list finds the default state', async (t) => {
  const cwd = await tempDir('solstice-user-');
  const orders = [...sampleOrders(400, 7)];
  await writeFile(join(cwd, 'a.jsonl'), orders.slice(0, 150).map((o) => JSON.stringify(o)).join('\n') + '\n');
  await mkdir(join(cwd, 'b'));
  await writeFile(join(cwd, 'b', 'c.jsonl'), orders.slice(150).map((o) => JSON.stringify(o)).join('\n') + '\n');

  const run = await runCli(
    ['run', '--workflow', 'workflows/simple_etl', '--job-id', 'two-inputs', '--input', 'a.jsonl', '--input', 'b/*.jsonl', '--format', 'jsonl', '--progress-interval', '0'],
    { cwd },
  );
  t.is(run.code, 0, run.stderr);
  const expected = orders
    .map((o) => ({ ...o, total: Math.round(o.price * o.qty * 100) / 100 }))
    .filter((o) => o.total > 100);
  const written = (await jsonLinesRows(join(cwd, 'out', 'two-inputs'))).sort((a, b) => Number(a.order_id) - Number(b.order_id));
  t.deepEqual(written, expected);

  const list = await runCli(['checkpoints', 'list', '--job-id', 'two-inputs'], { cwd });
  t.is(list.code, 0, list.stderr);
  t.regex(list.stdout, /^1\s+\S+\s+yes \(job complete\)$/m);
  t.true(existsSync(join(cwd, '.solstice', 'two-inputs', 'checkpoints')));
  t.false(existsSync(join(cwd, '.solstice', 'two-inputs', 'two-inputs')), 'the job id appears once in the layout');
});

test('a workflow that is not there fails with an error naming the places tried', async (t) => {
  const cwd = await tempDir('solstice-user-');
  const result = await runCli(['run', '--workflow', 'flows/missing', '--job-id', 'x'], { cwd });
  t.is(result.code, 1);
  t.true(result.stderr.includes(`WorkflowNotFoundError: Workflow 'flows/missing': no module found at ${join(cwd, 'flows', 'missing')}; tried ${join(cwd, 'flows', 'missing')}{,.js,.mjs,.ts,.mts}`), result.stderr);
  t.regex(result.stderr, /built-in workflows: simple_etl/);
});

test("a folder of the user's named like a built-in workflow is the one that runs", async (t) => {
  const cwd = await tempDir('solstice-user-');
  await mkdir(join(cwd, 'simple_etl'));
  await writeFile(join(cwd, 'simple_etl', 'index.mjs'), `
import { FileSink, FileSource, Job, Stage } from '${PACKAGE_ENTRY_URL}';
export function createJob(jobId, config) {
  const job = new Job({ jobId });
  job.addStage(new Stage('read', FileSource, { paths: String(config.input) }, 1));
  job.addStage(new Stage('write', FileSink, { path: 'mine', format: 'jsonl' }, 1), ['read']);
  return job;
}
`);
  const input = [{ order_id: 1, price: 1, qty: 1 }, { order_id: 2, price: 99, qty: 9 }];
  await writeFile(join(cwd, 'in.jsonl'), input.map((o) => JSON.stringify(o)).join('\n') + '\n');
  const result = await runCli(['run', '--workflow', 'simple_etl', '--job-id', 'mine', '--input', 'in.jsonl', '--progress-interval', '0'], { cwd });
  t.is(result.code, 0, result.stderr);
  t.deepEqual((await jsonLinesRows(join(cwd, 'mine'))).sort((a, b) => Number(a.order_id) - Number(b.order_id)), input);
  t.false(existsSync(join(cwd, 'out')), 'the built-in simple_etl did not run');
});
