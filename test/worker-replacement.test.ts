/**
 * Supervision per worker: a lost worker of a stage that reads a source,
 * keeps no state and has no downstream stage (a fused source -> map ->
 * filter -> FileSink chain) is replaced while the job runs, and only the
 * split it held is read again: no job restart, every kept row once.
 */
import test from 'ava';
import { statSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCli, untilBeforeExit, untilLogged } from './support/cli.js';
import { tempDir } from './support/files.js';
import { childPids } from './support/processes.js';

const WORKFLOW = fileURLToPath(new URL('../bench/recovery-workflow.js', import.meta.url));
const FILES = 6;
const ROWS_PER_FILE = 4000;

const callsIn = (dir: string) => {
  try {
    return statSync(join(dir, 'calls')).size;
  } catch {
    return 0;
  }
};

async function writeInput(dir: string): Promise<void> {
  await mkdir(join(dir, 'in'));
  for (let f = 0; f < FILES; f++) {
    const lines = Array.from({ length: ROWS_PER_FILE }, (_, i) => JSON.stringify({ id: f * ROWS_PER_FILE + i, value: i % 97 })).join('\n');
    await writeFile(join(dir, 'in', `part-${f}.jsonl`), `${lines}\n`);
  }
}

const jobArgs = (dir: string, extra: string[] = []) => [
  'run', '--workflow', WORKFLOW, '--job-id', 'replaced', '--input', join(dir, 'in', '*.jsonl'), '--output', join(dir, 'out'),
  '--calls-file', join(dir, 'calls'), '--workers', 'forked', '--log-level', 'info', '--progress-interval', '0', ...extra,
];

test('a forked worker of a stateless source chain killed with SIGKILL is replaced; the job goes on and redoes only its split', async (t) => {
  const dir = await tempDir('solstice-replace-');
  await writeInput(dir);
  const total = FILES * ROWS_PER_FILE;
  const cli = startCli(jobArgs(dir), dir);
  await untilBeforeExit(cli, 'a third of the rows went through the row function', () => callsIn(dir) >= total / 3);
  const workers = childPids(cli.child.pid!);
  t.true(workers.length >= 2, `forked workers: ${workers.join(', ')}`);
  process.kill(workers[0]!, 'SIGKILL');
  t.is(await cli.exited, 0, cli.stderr());

  t.regex(cli.stderr(), /"msg":"worker lost; replacing it and handing its split out again"/);
  t.notRegex(cli.stderr(), /restarting the job/);
  t.regex(cli.stdout(), /^1 lost worker\(s\) replaced while the job ran/m);
  t.notRegex(cli.stdout(), /restarted \d+ time/);

  const ids: number[] = [];
  for (const name of (await readdir(join(dir, 'out'))).filter((n) => n.endsWith('.jsonl'))) {
    for (const line of (await readFile(join(dir, 'out', name), 'utf8')).split('\n').filter(Boolean)) ids.push((JSON.parse(line) as { id: number }).id);
  }
  t.deepEqual(ids.sort((a, b) => a - b), Array.from({ length: total }, (_, id) => id).filter((id) => id % 2 === 0));
  // What the lost worker had done stays done: at most the split it held (one file's rows at most) is read again.
  const redone = callsIn(dir) - total;
  t.true(redone >= 0 && redone <= ROWS_PER_FILE, `${redone} rows went through the row function twice`);
});

test('replacements take from the stage\'s restart budget: with maxRestarts 1 the second lost worker fails the job', async (t) => {
  const dir = await tempDir('solstice-replace-budget-');
  await writeInput(dir);
  const cli = startCli(jobArgs(dir, ['--max-restarts', '1']), dir);
  await untilBeforeExit(cli, 'a tenth of the rows went through the row function', () => callsIn(dir) >= (FILES * ROWS_PER_FILE) / 10);
  process.kill(childPids(cli.child.pid!)[0]!, 'SIGKILL');
  t.true(await untilLogged(cli, /"msg":"worker lost; replacing it and handing its split out again"/), cli.stderr());
  const second = childPids(cli.child.pid!)[0];
  t.truthy(second, 'a worker runs after the replacement');
  process.kill(second!, 'SIGKILL');
  t.is(await cli.exited, 1, cli.stderr());
  t.regex(cli.stderr(), /SupervisionError: .*'source'.*2 times/);
  t.notRegex(cli.stderr(), /restarting the job/);
});
