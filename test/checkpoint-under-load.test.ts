/**
 * Checkpoints complete while every core is busy, and a killed job redoes
 * little: a source split that would take much longer than a quarter of the
 * checkpoint interval is cut, so a checkpoint waits only for short splits,
 * and the cut splits are read exactly once across kills and restores.
 * The job is bench/recovery's: a row function that costs 100 µs of CPU per
 * row and counts its calls in a file.
 */
import test from 'ava';
import { statSync } from 'node:fs';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { runCli, startCli, untilBeforeExit } from './support/cli.js';
import { tempDir } from './support/files.js';
import { childPids } from './support/processes.js';

const WORKFLOW = fileURLToPath(new URL('../bench/recovery-workflow.js', import.meta.url));
const FILES = 8;
const ROWS_PER_FILE = 5000;

/** Writes the input; returns the ids the job keeps (even ones), the oracle for its output. */
async function writeInput(dir: string): Promise<number[]> {
  await mkdir(join(dir, 'in'), { recursive: true });
  for (let f = 0; f < FILES; f++) {
    const lines = Array.from({ length: ROWS_PER_FILE }, (_, i) => {
      const id = f * ROWS_PER_FILE + i;
      return `${JSON.stringify({ id, value: (id * 7919) % 10007 })}\n`;
    });
    await writeFile(join(dir, 'in', `part-${f}.jsonl`), lines.join(''));
  }
  return Array.from({ length: FILES * ROWS_PER_FILE }, (_, id) => id).filter((id) => id % 2 === 0);
}

/** Every id in the output folder, sorted, each row checked against the row function's formula. */
async function outputIds(dir: string): Promise<number[]> {
  const ids: number[] = [];
  for (const name of (await readdir(join(dir, 'out'))).filter((n) => n.endsWith('.jsonl'))) {
    for (const line of (await readFile(join(dir, 'out', name), 'utf8')).split('\n').filter(Boolean)) {
      const row = JSON.parse(line) as { id: number; value: number; score: number };
      if (row.score !== (row.value * 31) % 1000) throw new Error(`row ${row.id} has score ${row.score}`);
      ids.push(row.id);
    }
  }
  return ids.sort((a, b) => a - b);
}

const args = (dir: string, mode: string) => [
  'run', '--workflow', WORKFLOW, '--job-id', 'loaded', '--input', join(dir, 'in', '*.jsonl'), '--output', join(dir, 'out'),
  '--calls-file', join(dir, 'calls'), '--workers', mode, '--log-level', 'info', '--progress-interval', '0',
];

/** The checkpoints the state master published during the run (not the final one), from its log. */
function publishedDuringRun(stderr: string): { checkpointId: number; latencyMs: number }[] {
  return stderr.split('\n').filter((line) => line.includes('"checkpoint published"'))
    .map((line) => JSON.parse(line) as { checkpointId: number; latencyMs: number; final: boolean })
    .filter((entry) => !entry.final);
}

for (const mode of ['in-process', 'threaded', 'forked']) {
  test(`${mode}: with a CPU-heavy row function, long source splits are cut and checkpoints complete all through the run`, async (t) => {
    const dir = await tempDir(`solstice-loaded-${mode}-`);
    const kept = await writeInput(dir);
    const result = await runCli(args(dir, mode), { cwd: dir });
    t.is(result.code, 0, result.stderr);
    const sourceLine = /^source\s+\d+\s+(\d+)\s+/m.exec(result.stdout);
    t.truthy(sourceLine, result.stdout);
    t.true(Number(sourceLine![1]) > FILES, `the ${FILES} planned splits were cut (${sourceLine![1]} splits read)`);
    const checkpoints = publishedDuringRun(result.stderr);
    // The job takes several seconds of CPU with a checkpoint asked for every second; without cutting, each waited for 0.5-1 s splits.
    t.true(checkpoints.length >= 3, `${checkpoints.length} checkpoints completed while the job ran`);
    t.deepEqual(await outputIds(dir), kept);
    t.is((await stat(join(dir, 'calls'))).size, FILES * ROWS_PER_FILE, 'each row went through the row function once');
  });
}

test('forked, killed with SIGKILL at 30%, 60% and 90% of the row function\'s calls and resumed each time: every kept row once, little redone', async (t) => {
  const dir = await tempDir('solstice-loaded-kills-');
  const kept = await writeInput(dir);
  const total = FILES * ROWS_PER_FILE;
  for (const share of [0.3, 0.6, 0.9]) {
    const cli = startCli(args(dir, 'forked'), dir);
    await untilBeforeExit(cli, `${share * 100}% of the calls`, () => callsSync(dir) >= share * total);
    // The whole job: its worker processes too, which would otherwise finish their splits, calling the row function, after the CLI is gone.
    for (const pid of childPids(cli.child.pid!)) killIfAlive(pid);
    cli.child.kill('SIGKILL');
    t.is(await cli.exited, null);
  }
  const last = await runCli(args(dir, 'forked'), { cwd: dir });
  t.is(last.code, 0, last.stderr);
  t.regex(last.stdout, /^resumed from checkpoint \d+$/m);
  t.deepEqual(await outputIds(dir), kept);
  const done = callsSync(dir);
  // Starting over at each kill would call it 1.9 times per row; each kill redoes what was in flight and since the last checkpoint.
  t.true(done < 1.6 * total, `${done} calls for ${total} rows`);
});

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function callsSync(dir: string): number {
  try {
    return statSync(join(dir, 'calls')).size;
  } catch {
    return 0;
  }
}

test('a Parquet row group read as row ranges is cut too, and read once', async (t) => {
  const dir = await tempDir('solstice-loaded-parquet-');
  const count = 12_000;
  await mkdir(join(dir, 'in'));
  await writeFile(join(dir, 'in', 'rows.parquet'), new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: 'id', data: Int32Array.from({ length: count }, (_, id) => id), type: 'INT32' },
      { name: 'value', data: Int32Array.from({ length: count }, (_, id) => (id * 7919) % 10007), type: 'INT32' },
    ],
    rowGroupSize: count,
  })));
  const result = await runCli([
    'run', '--workflow', WORKFLOW, '--job-id', 'parquet', '--input', join(dir, 'in', 'rows.parquet'), '--output', join(dir, 'out'),
    '--calls-file', join(dir, 'calls'), '--batch-rows', '4000', '--progress-interval', '0',
  ], { cwd: dir });
  t.is(result.code, 0, result.stderr);
  const sourceLine = /^source\s+\d+\s+(\d+)\s+/m.exec(result.stdout);
  t.true(Number(sourceLine![1]) > 3, `the 3 planned row ranges were cut (${sourceLine![1]} splits read)`);
  t.deepEqual(await outputIds(dir), Array.from({ length: count }, (_, id) => id).filter((id) => id % 2 === 0));
});
