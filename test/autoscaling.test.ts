/**
 * Elastic parallelism: a stage with `parallelism: [min, max]` grows while it
 * is the bottleneck and shrinks when it idles, never while its upstream
 * starves it, and its output stays exact while it scales, checkpoints and
 * loses a worker. The decisions are read from the job's log ('scaling'
 * records), never timed.
 */
import test from 'ava';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { runCli, startCli, untilLogged, type RunningCli } from './support/cli.js';
import { readJsonLinesDir, tempDir, writeIdFiles } from './support/files.js';
import { childPids } from './support/processes.js';

const WORKFLOW = fileURLToPath(new URL('../bench/autoscale-workflow.js', import.meta.url));
const TOTALS_WORKFLOW = fileURLToPath(new URL('fixtures/elastic_totals_workflow.js', import.meta.url));
const FILES = 10;
const ROWS_PER_FILE = 2000;
const TOTAL = FILES * ROWS_PER_FILE;

interface ScalingRecord {
  stage: string;
  from: number;
  to: number;
  reason: string;
}

async function writeInput(): Promise<string> {
  const dir = await tempDir('solstice-autoscale-');
  await writeIdFiles(dir, FILES, ROWS_PER_FILE);
  return dir;
}

const args = (dir: string, extra: string[], workers = 'forked', progressSecs = '0') => ['run', '--workflow', WORKFLOW, '--job-id', 'elastic',
  '--input', join(dir, 'in', '*.jsonl'), '--output', join(dir, 'out'), '--workers', workers, '--log-level', 'info', '--progress-interval', progressSecs, ...extra];

function decisions(stderr: string, stage: string): ScalingRecord[] {
  return stderr.split('\n').filter((line) => line.includes('"msg":"scaling"')).map((line) => JSON.parse(line) as ScalingRecord)
    .filter((record) => record.stage === stage);
}

/** Every input row once, with the map's column computed by the generator's formula. */
async function checkOutput(t: import('ava').ExecutionContext, dir: string): Promise<void> {
  const rows = (await readJsonLinesDir(join(dir, 'out'))).sort((a, b) => (a.id as number) - (b.id as number));
  t.deepEqual(rows.map((row) => row.id), Array.from({ length: TOTAL }, (_, id) => id));
  t.true(rows.every((row) => row.score === ((row.id as number) * 31) % 1000), 'every score is id * 31 mod 1000');
}

/** Waits until the log shows `stage` shrunk, then creates `gate`: the splits held there pass, and the job ends. */
async function openGateOnceShrunk(job: RunningCli, stage: string, gate: string): Promise<boolean> {
  // Complete lines only: the last one may still be being written.
  const shrunk = await untilLogged(job, (text) => decisions(text.slice(0, text.lastIndexOf('\n') + 1), stage).some((record) => record.to < record.from));
  await writeFile(gate, '');
  return shrunk;
}

test('a CPU-bound stage [1, 2] grows to two workers while its backlog lasts, and back to one when its input stops', async (t) => {
  const dir = await writeInput();
  // 16 splits at once (a backlog), then none until the gate opens (the map idles, however loaded the machine), then
  // one every 300 ms costing no CPU.
  const gate = join(dir, 'gate');
  const job = startCli(args(dir, ['--burst', '16', '--gate', gate, '--pace-ms', '300', '--trickle-cost-us', '0', '--parallelism', '1-2']), dir);
  t.true(await openGateOnceShrunk(job, 'work', gate), job.stderr());
  const result = { code: await job.exited, stdout: job.stdout(), stderr: job.stderr() };
  t.is(result.code, 0, result.stderr);
  const work = decisions(result.stderr, 'work');
  const up = work.findIndex((record) => record.to > record.from);
  t.true(up >= 0, `no growth: ${JSON.stringify(work)}`);
  t.regex(work[up]!.reason, /the stage is the bottleneck/);
  const down = work.slice(up + 1).find((record) => record.to === 1);
  t.truthy(down, `no shrink back to 1: ${JSON.stringify(work)}`);
  t.regex(down!.reason, /mostly idle, starved by its upstream/);
  // Fixed stages never scale; the summary tells the counts.
  t.deepEqual(['source', 'pace', 'sink'].flatMap((stage) => decisions(result.stderr, stage)), []);
  t.regex(result.stdout, /^work scaled 1 -> 2( -> \d)* -> 1 \(last: /m);
  await checkOutput(t, dir);
});

test('threaded workers grow too, and the progress lines say so', async (t) => {
  const dir = await writeInput();
  const result = await runCli(args(dir, ['--burst', '16', '--pace-ms', '300', '--trickle-cost-us', '0', '--parallelism', '1-2'], 'threaded', '0.2'), { cwd: dir, timeoutMs: 300_000 });
  t.is(result.code, 0, result.stderr);
  t.true(decisions(result.stderr, 'work').some((record) => record.from === 1 && record.to === 2), result.stderr);
  // The elastic stage's workers, the count it moves to, and how busy they were: `work ... workers 1->2 busy 0.97` (progress goes to stderr).
  t.regex(result.stderr, /\| work \d+ splits \d+ rows( \(\d running\))? workers [12](->[12])? busy [01]\.\d\d \|/);
  await checkOutput(t, dir);
});

test('in-process workers of a CPU-bound stage do not grow: they share the job\'s thread, which is full', async (t) => {
  const dir = await writeInput();
  const result = await runCli(args(dir, ['--parallelism', '1-4'], 'in-process'), { cwd: dir, timeoutMs: 300_000 });
  t.is(result.code, 0, result.stderr);
  t.deepEqual(decisions(result.stderr, 'work'), []);
  t.notRegex(result.stdout, /work scaled/);
  await checkOutput(t, dir);
});

test('a stage starved by a slow upstream does not grow', async (t) => {
  const dir = await writeInput();
  // Every split held 400 ms upstream; the map needs 2 ms of CPU for one (more on a loaded machine, still far from 400).
  const result = await runCli(args(dir, ['--burst', '0', '--pace-ms', '400', '--cost-us', '2', '--batch-rows', '1000']), { cwd: dir, timeoutMs: 300_000 });
  t.is(result.code, 0, result.stderr);
  t.deepEqual(decisions(result.stderr, 'work').filter((record) => record.to > record.from), []);
  t.notRegex(result.stdout, /work scaled/);
  await checkOutput(t, dir);
});

test('exactly once while the stage grows, checkpoints every 250 ms, loses a new worker to SIGKILL and shrinks again', async (t) => {
  const dir = await writeInput();
  const gate = join(dir, 'gate');
  const job = startCli(args(dir, ['--burst', '16', '--gate', gate, '--pace-ms', '300', '--trickle-cost-us', '0', '--interval-secs', '0.25']), dir);
  t.true(await untilLogged(job, /"stage":"work"[^\n]*"workers":\[1\][^\n]*"msg":"workers added"/), job.stderr());
  // The worker the growth started: Comedy names a forked actor's process by its name.
  const grown = await untilWorker(job.child.pid!, 'Worker-work-1');
  process.kill(grown, 'SIGKILL');
  t.true(await openGateOnceShrunk(job, 'work', gate), job.stderr());
  t.is(await job.exited, 0, job.stderr());
  t.regex(job.stderr(), /"msg":"worker lost; replacing it and handing its split out again"/);
  t.notRegex(job.stderr(), /restarting the job/);
  t.true(decisions(job.stderr(), 'work').some((record) => record.to < record.from), 'it shrank again');
  await checkOutput(t, dir);
});

test('a keyed aggregation [1, 2] grows at a checkpoint, its key groups moving with their state, and shrinks again: exact totals', async (t) => {
  const dir = await writeInput();
  const keys = 40;
  const result = await runCli(['run', '--workflow', TOTALS_WORKFLOW, '--job-id', 'elastic-totals', '--input', join(dir, 'in', '*.jsonl'),
    '--output', join(dir, 'out'), '--workers', 'forked', '--log-level', 'info', '--progress-interval', '0',
    '--burst', '16', '--pace-ms', '300', '--keys', String(keys)], { cwd: dir, timeoutMs: 300_000 });
  t.is(result.code, 0, result.stderr);
  const totals = decisions(result.stderr, 'totals');
  t.true(totals.some((record) => record.from === 1 && record.to === 2), `no growth: ${JSON.stringify(totals)}`);
  t.true(totals.some((record) => record.from === 2 && record.to === 1), `no shrink: ${JSON.stringify(totals)}`);
  // Each change is made at a checkpoint, where the key groups move.
  t.is(result.stderr.match(/"msg":"key groups moved"/g)?.length, totals.length);
  // The oracle: the generator's ids, grouped by id % keys.
  const expected = new Map<string, { n: number; sum: number }>();
  for (let id = 0; id < TOTAL; id++) {
    const key = String(id % keys);
    const total = expected.get(key) ?? { n: 0, sum: 0 };
    total.n++;
    total.sum += id;
    expected.set(key, total);
  }
  const rows = await readJsonLinesDir(join(dir, 'out'));
  t.is(rows.length, keys, 'one row per key');
  for (const row of rows) t.deepEqual({ n: row.n, sum: row.sum, spent: row.spent }, { ...expected.get(String(row._key)), spent: expected.get(String(row._key))?.n });
});

test('a keyed aggregation that lost its added worker to SIGKILL right after its key groups moved replaces it alone and counts every row once', async (t) => {
  const dir = await writeInput();
  const keys = 40;
  const job = startCli(['run', '--workflow', TOTALS_WORKFLOW, '--job-id', 'elastic-totals-kill', '--input', join(dir, 'in', '*.jsonl'),
    '--output', join(dir, 'out'), '--workers', 'forked', '--log-level', 'info', '--progress-interval', '0',
    '--burst', '16', '--pace-ms', '300', '--keys', String(keys)], dir);
  t.true(await untilLogged(job, /"stage":"totals"[^\n]*"workers":\[1\][^\n]*"msg":"workers added"/), job.stderr());
  process.kill(await untilWorker(job.child.pid!, 'Worker-totals-1'), 'SIGKILL');
  t.is(await job.exited, 0, job.stderr());
  // Replaced alone: it takes its key groups from the checkpoint where they moved, and runs again the splits it finished since.
  t.regex(job.stderr(), /"restoredState":true,[^\n]*"msg":"worker lost; replacing it from the last checkpoint's state and running again the splits it finished since"/);
  t.notRegex(job.stderr(), /restarting the job/);
  const rows = await readJsonLinesDir(join(dir, 'out'));
  t.is(rows.length, keys, 'one row per key');
  for (const row of rows) {
    const key = Number(row._key);
    const ids = Array.from({ length: TOTAL }, (_, id) => id).filter((id) => id % keys === key);
    t.deepEqual({ n: row.n, sum: row.sum }, { n: ids.length, sum: ids.reduce((a, b) => a + b, 0) });
  }
});

/** The pid of the forked child running actor `name`, once it runs. */
async function untilWorker(parent: number, name: string): Promise<number> {
  for (;;) {
    const pid = childPids(parent).find((child) => {
      try {
        return readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').includes(name);
      } catch {
        return false;
      }
    });
    if (pid !== undefined) return pid;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
