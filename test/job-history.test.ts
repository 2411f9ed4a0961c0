/**
 * The job history a user reads the morning after: every attempt of a job
 * leaves a run record in the state location, and `solstice-node jobs list`
 * and `jobs show` tell what happened, compared here with what the test did
 * (the process it killed, the error it provoked) and what the sample
 * generator says the job must count.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { runCli, startCli, untilBeforeExit } from './support/cli.js';
import { publishedCheckpointIds, tempDir } from './support/files.js';
import { startWebHdfsServer } from './support/webhdfs-server.js';
import { sampleOrders } from '../workflows/simple_etl/sample-orders.js';
import { LocalDirectoryBackend } from '../state/local-directory-backend.js';
import { RunRecordStore, type RunRecord } from '../state/run-records.js';
import { readJobHistory, type JobHistory } from '../runtime/job-history.js';
import type { JobSummary } from '../runtime/runner-options.js';
import { FileSource, Job, Stage } from '../lib/index.js';
import { CollectSink } from './support/collect-sink.js';

/** Orders of the run that is killed: enough that it is still reading long after its first checkpoint. */
const BIG = 2_000_000;
/** Orders of the runs that go through. */
const SMALL = 20_000;

/** How many of the generator's first `rows` orders simple_etl keeps: total = price × qty, in cents, over 100. */
function keptOrders(rows: number, seed?: number): number {
  let kept = 0;
  for (const order of sampleOrders(rows, seed)) if (Math.round(order.price * order.qty * 100) / 100 > 100) kept++;
  return kept;
}

interface Manifest {
  checkpointId: number;
  final: boolean;
  runId: string;
  createdAt: string;
}

async function manifests(checkpoints: string): Promise<Manifest[]> {
  const ids = publishedCheckpointIds(checkpoints).sort();
  return Promise.all(ids.map(async (id) => JSON.parse(await readFile(join(checkpoints, id, 'MANIFEST.json'), 'utf8')) as Manifest));
}

/** The rows in and out of each stage in a summary, by stage. */
function rowsByStage(summary: JobSummary | undefined): Record<string, [number, number]> {
  return Object.fromEntries((summary?.stages ?? []).map((stage) => [stage.stage, [stage.rowsIn, stage.rowsOut]]));
}

/** Orders with line 151 cut short, as a truncated export would leave it. */
async function writeBadOrders(path: string): Promise<void> {
  const lines = [...sampleOrders(300, 7)].map((order) => JSON.stringify(order));
  lines[150] = lines[150]!.slice(0, 20);
  await writeFile(path, `${lines.join('\n')}\n`);
}

test('jobs list and jobs show tell what happened: a run killed and resumed, a run that went through, a job that failed on its input', async (t) => {
  const cwd = await tempDir('solstice-history-');
  const nightly = ['run', '--workflow', 'simple_etl', '--job-id', 'nightly', '--progress-interval', '0'];
  const checkpoints = join(cwd, '.solstice', 'nightly', 'checkpoints');

  // Last night: killed once it had a checkpoint, then run again, which resumes it.
  const big = [...nightly, '--rows', String(BIG), '--parallelism', '1', '--checkpoint-interval-records', '50000', '--output', 'out/first'];
  const killed = startCli(big, cwd);
  await untilBeforeExit(killed, 'its first completed checkpoint', () => publishedCheckpointIds(checkpoints).length > 0);
  killed.child.kill('SIGKILL');
  t.is(await killed.exited, null, 'killed, not ended');
  const atKill = (await manifests(checkpoints)).at(-1)!;
  t.false(atKill.final, 'killed before the job completed');
  const killedRun = atKill.runId;

  const whileDown = await runCli(['jobs', 'show', 'nightly'], { cwd });
  t.is(whileDown.code, 0, whileDown.stderr);
  t.regex(whileDown.stdout, /^ {2}attempt 1 +started \S+ {2}ended without a record \(killed\?\)$/m, whileDown.stdout);
  t.true(whileDown.stdout.includes(`pid ${killed.child.pid} (solstice-node.js run)`), whileDown.stdout);

  const resumed = await runCli(big, { cwd, timeoutMs: 600_000 });
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stdout, new RegExp(`^resumed from checkpoint ${atKill.checkpointId}$`, 'm'));

  // This morning: a new run of the same job on a small sample, and another job that fails on a bad line.
  const startedAfter = new Date().toISOString();
  const fresh = await runCli([...nightly, '--rows', String(SMALL), '--restore', 'none', '--output', 'out/second'], { cwd });
  const endedBefore = new Date().toISOString();
  t.is(fresh.code, 0, fresh.stderr);
  const final = (await manifests(checkpoints)).at(-1)!;
  t.true(final.final);
  t.not(final.runId, killedRun, 'a run started over is a new run');

  await writeBadOrders(join(cwd, 'bad.jsonl'));
  const broken = await runCli(['run', '--workflow', 'simple_etl', '--job-id', 'broken', '--input', 'bad.jsonl', '--progress-interval', '0'], { cwd });
  t.is(broken.code, 1);
  const provoked = broken.stderr.split('\n').filter((line) => /^(error: |\s+caused by )\w+: /.test(line));
  t.regex(provoked.join('\n'), /InputFormatError: \S+bad\.jsonl \(line 151\)/);

  // jobs list: a line per job, its last run, and the latest checkpoint.
  const list = await runCli(['jobs', 'list'], { cwd });
  t.is(list.code, 0, list.stderr);
  t.regex(list.stdout, /^job\s+run\s+status\s+started\s+ended\s+latest checkpoint$/m);
  const jobLines = list.stdout.split('\n').filter((line) => /^(nightly|broken) /.test(line));
  t.deepEqual(jobLines.map((line) => line.split(/\s+/)[0]), ['broken', 'nightly'], list.stdout);
  t.regex(jobLines[0]!, /^broken\s+[0-9a-f]{8}\s+failed\s+\S+Z\s+\S+Z\s+-$/);
  const nightlyLine = /^nightly\s+([0-9a-f]{8})\s+completed\s+(\S+)\s+(\S+)\s+(\d+)\s+(\S+)\s+final$/.exec(jobLines[1]!);
  t.truthy(nightlyLine, jobLines[1]);
  t.is(nightlyLine![1], final.runId.slice(0, 8));
  t.true(nightlyLine![2]! >= startedAfter && nightlyLine![3]! <= endedBefore, `the last run started and ended while the test ran it: ${jobLines[1]}`);
  t.is(Number(nightlyLine![4]), final.checkpointId);
  t.is(nightlyLine![5], final.createdAt);

  // jobs show --json: the two runs of nightly, newest first.
  const shown = await runCli(['jobs', 'show', 'nightly', '--json'], { cwd });
  t.is(shown.code, 0, shown.stderr);
  const history = JSON.parse(shown.stdout) as JobHistory;
  t.deepEqual(history.runs.map((run) => run.runId), [final.runId, killedRun]);
  const [morning, lastNight] = history.runs;
  t.deepEqual(morning!.attempts.map(({ attempt, status, resumedFrom }) => ({ attempt, status, resumedFrom })), [{ attempt: 1, status: 'completed', resumedFrom: undefined }]);
  t.deepEqual(rowsByStage(morning!.attempts[0]!.end?.summary), {
    source: [SMALL, SMALL], transform: [SMALL, SMALL], filter: [SMALL, keptOrders(SMALL)], sink: [keptOrders(SMALL), 0],
  });
  t.deepEqual(morning!.checkpoints.at(-1), { id: final.checkpointId, createdAt: final.createdAt, final: true, runId: final.runId });
  t.deepEqual(lastNight!.attempts.map(({ attempt, status, resumedFrom, pid }) => ({ attempt, status, resumedFrom, killed: pid === killed.child.pid })), [
    { attempt: 1, status: 'unrecorded', resumedFrom: undefined, killed: true },
    { attempt: 2, status: 'completed', resumedFrom: atKill.checkpointId, killed: false },
  ]);
  t.is(lastNight!.status, 'completed');
  t.is(lastNight!.attempts[0]!.end, undefined, 'the killed attempt recorded its start only');
  const rest = rowsByStage(lastNight!.attempts[1]!.end?.summary).source!;
  t.true(rest[0] > 0 && rest[0] < BIG, `the resumed attempt read only what the checkpoint had not: ${rest[0]} of ${BIG}`);
  t.deepEqual(history.damaged, []);

  // jobs show: the same, as text.
  const text = await runCli(['jobs', 'show', 'nightly'], { cwd });
  t.is(text.code, 0, text.stderr);
  const runs = text.stdout.split(/\n(?=run )/).slice(1);
  t.is(runs.length, 2, text.stdout);
  t.regex(runs[0]!, new RegExp(`^run ${final.runId}: completed, started \\S+, ended \\S+\\n {2}attempt 1 +started \\S+ {2}ended \\S+ {2}completed\\n`));
  t.regex(runs[0]!, new RegExp(`^ {4}${final.checkpointId} {2}${final.createdAt} {2}final$`, 'm'));
  t.regex(runs[0]!, new RegExp(`^ {4}source +4 +\\d+ +\\d+ +${SMALL} +${SMALL} `, 'm'));
  t.regex(runs[0]!, new RegExp(`^ {4}filter +4 +\\d+ +\\d+ +${SMALL} +${keptOrders(SMALL)} `, 'm'));
  t.regex(runs[1]!, new RegExp(`^run ${killedRun}: completed`));
  t.regex(runs[1]!, /^ {2}attempt 1 +started \S+ {2}ended without a record \(killed\?\)$/m);
  t.regex(runs[1]!, new RegExp(`^ {2}attempt 2 +started \\S+ {2}ended \\S+ {2}completed, resumed from checkpoint ${atKill.checkpointId}$`, 'm'));
  t.regex(runs[1]!, /^ {2}summary of attempt 2 \(completed\):\n {4}resumed from checkpoint \d+\n/m);

  // jobs show of the failed job: the error as run printed it, with its causes.
  const failed = await runCli(['jobs', 'show', 'broken'], { cwd });
  t.is(failed.code, 0, failed.stderr);
  t.regex(failed.stdout, /^ {2}attempt 1 +started \S+ {2}ended \S+ {2}failed$/m);
  const recorded = failed.stdout.split('\n').filter((line) => /^ {13}(error: | {2}caused by )/.test(line)).map((line) => line.slice(13));
  t.deepEqual(recorded, provoked);
  t.regex(failed.stdout, /^ {4}job broken failed after /m);

  // A job that is not there names the location and the jobs that are.
  const missing = await runCli(['jobs', 'show', 'weekly'], { cwd });
  t.is(missing.code, 1);
  t.is(missing.stderr.trim(), `job 'weekly' has neither run records nor checkpoints in file://${join(cwd, '.solstice')}; the jobs there: broken, nightly`);
});

test('a run record that cannot be written fails no job: the log and the summary say why, and a failing job fails with its own error', async (t) => {
  const cwd = await tempDir('solstice-history-');
  // A file where the job's runs/ folder would go: every write under it fails, checkpoints do not.
  await mkdir(join(cwd, 'state', 'blocked'), { recursive: true });
  await writeFile(join(cwd, 'state', 'blocked', 'runs'), 'not a folder');
  const run = ['run', '--workflow', 'simple_etl', '--job-id', 'blocked', '--progress-interval', '0', '--state-backend', 'state'];

  const ok = await runCli([...run, '--rows', String(SMALL)], { cwd });
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stdout, new RegExp(`^filter +4 +\\d+ +\\d+ +${SMALL} +${keptOrders(SMALL)} `, 'm'), 'the job did its work');
  const warnings = ok.stdout.split('\n').filter((line) => line.startsWith('warning: the run record'));
  t.is(warnings.length, 2, ok.stdout);
  t.regex(warnings[0]!, /^warning: the run record of attempt \? of run [0-9a-f-]{36} was not written \(its start\): .*blocked\/runs.*ENOTDIR/);
  t.regex(warnings[1]!, /was not written \(its end\): .*ENOTDIR.*; `solstice-node jobs show blocked` will not show this attempt as it was$/);
  const logged = ok.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message: string } });
  t.true(logged.some((entry) => entry.level === 40 && /run record .* was not written .*; the job goes on/.test(entry.msg) && /ENOTDIR/.test(entry.err?.message ?? '')), ok.stderr);
  t.true(existsSync(join(cwd, 'state', 'blocked', 'checkpoints')), 'checkpoints are written all the same');

  await writeBadOrders(join(cwd, 'bad.jsonl'));
  const failed = await runCli([...run, '--input', 'bad.jsonl', '--output', 'out/bad'], { cwd });
  t.is(failed.code, 1);
  t.regex(failed.stderr, /^error: OperatorError: .*\n {2}caused by InputFormatError: \S+bad\.jsonl \(line 151\)/m, 'the job fails with its own error, not the record\'s');
});

test('an attempt without an end is running while its process lives here and no later attempt started; after, it ended without a record', async (t) => {
  const state = await tempDir('solstice-state-');
  const store = new RunRecordStore<JobSummary>(new LocalDirectoryBackend(state), 'live');
  const started: RunRecord<JobSummary> = {
    version: 1, jobId: 'live', runId: 'run-1', attempt: 1, startedAt: '2030-01-01T00:00:00.000Z', firstCheckpointId: 1,
    placement: 'workers in-process; masters in-process', host: hostname(), pid: process.pid, command: 'test',
  };
  await store.write(store.keyOf(started), started);
  t.deepEqual((await readJobHistory(state, 'live'))!.runs.map((run) => run.status), ['running']);

  const next = { ...started, attempt: 2, startedAt: '2030-01-01T00:01:00.000Z', resumedFrom: 3 };
  await store.write(store.keyOf(next), next);
  await writeFile(join(state, 'live', 'runs', '2029-12-31T000000.000Z-run-0-a1.json'), '{"version": 1, "jobId": "live"');
  const history = (await readJobHistory(state, 'live'))!;
  t.deepEqual(history.runs[0]!.attempts.map((attempt) => attempt.status), ['unrecorded', 'running']);
  t.is(history.damaged.length, 1);
  t.regex(history.damaged[0]!.problem, /^not JSON/);
});

test('on WebHDFS the records go through the backend: jobs list and jobs show read them from the server', async (t) => {
  const server = await startWebHdfsServer();
  t.teardown(() => server.stop());
  const cwd = await tempDir('solstice-history-');
  const location = `${server.url}/solstice/history?user=solstice`;
  const ran = await runCli(['run', '--workflow', 'simple_etl', '--job-id', 'remote', '--rows', String(SMALL), '--progress-interval', '0', '--state-backend', location], { cwd });
  t.is(ran.code, 0, ran.stderr);
  t.false(existsSync(join(cwd, '.solstice')), 'nothing in the local default location');
  const files = await readdir(join(server.directory, 'solstice', 'history', 'remote', 'runs'));
  t.is(files.length, 1);
  t.regex(files[0]!, /^\d{4}-\d{2}-\d{2}T\d{6}\.\d{3}Z-[0-9a-f-]{36}-a1\.json$/);
  const onServer = JSON.parse(await readFile(join(server.directory, 'solstice', 'history', 'remote', 'runs', files[0]!), 'utf8')) as RunRecord<JobSummary>;

  const list = await runCli(['jobs', 'list', '--state-backend', location], { cwd });
  t.is(list.code, 0, list.stderr);
  t.regex(list.stdout, new RegExp(`^remote +${onServer.runId.slice(0, 8)} +completed +${onServer.startedAt} +${onServer.end!.endedAt} +\\d+ +\\S+ +final$`, 'm'));
  const shown = await runCli(['jobs', 'show', 'remote', '--json', '--state-backend', location], { cwd });
  t.is(shown.code, 0, shown.stderr);
  const history = JSON.parse(shown.stdout) as JobHistory;
  t.is(history.location, location);
  t.deepEqual(history.runs.map((run) => run.runId), [onServer.runId]);
  t.deepEqual(rowsByStage(history.runs[0]!.attempts[0]!.end?.summary), {
    source: [SMALL, SMALL], transform: [SMALL, SMALL], filter: [SMALL, keptOrders(SMALL)], sink: [keptOrders(SMALL), 0],
  });
});

/** The runs whose records are in `runs/`, by the ids in their file names, and how many attempts each. */
async function recordedRuns(runsFolder: string): Promise<Record<string, number>> {
  const runs: Record<string, number> = {};
  for (const name of await readdir(runsFolder)) {
    const runId = /^\d{4}-\d{2}-\d{2}T\d{6}\.\d{3}Z-(.+)-a\d+\.json$/.exec(name)?.[1];
    if (runId) runs[runId] = (runs[runId] ?? 0) + 1;
  }
  return runs;
}

test('only the newest runs keep their records: a job run four times with retainRuns 2 keeps its last two, and jobs list and jobs show tell of them', async (t) => {
  const cwd = await tempDir('solstice-history-');
  const input = join(cwd, 'orders.jsonl');
  await writeFile(input, [...sampleOrders(50, 3)].map((order) => `${JSON.stringify(order)}\n`).join(''));
  const state = join(cwd, 'state');
  const runIds: string[] = [];
  for (let n = 1; n <= 4; n++) {
    const job = new Job({ jobId: 'pruned', retainRuns: 2 });
    job.addStage(new Stage('source', FileSource, { paths: input }, 1));
    job.addStage(new Stage('sink', CollectSink, { name: `pruned-${n}` }, 1), ['source']);
    const runner = job.createRunner({ stateBackend: state });
    const summary = await runner.run();
    t.is(summary.stages.find((stage) => stage.stage === 'sink')?.rowsIn, 50);
    const { run } = await runner.status();
    runIds.push(run!.id);
    // Each run completed, so the next one is a new run; after each, the newest two have their records.
    t.deepEqual(await recordedRuns(join(state, 'pruned', 'runs')), Object.fromEntries(runIds.slice(-2).map((id) => [id, 1])), `after run ${n}`);
  }
  t.is(new Set(runIds).size, 4);

  const list = await runCli(['jobs', 'list', '--state-backend', state], { cwd });
  t.is(list.code, 0, list.stderr);
  t.regex(list.stdout, new RegExp(`^pruned +${runIds[3]!.slice(0, 8)} +completed `, 'm'));
  const shown = await runCli(['jobs', 'show', 'pruned', '--json', '--state-backend', state], { cwd });
  t.is(shown.code, 0, shown.stderr);
  const history = JSON.parse(shown.stdout) as JobHistory;
  t.deepEqual(history.runs.map((run) => run.runId), [runIds[3], runIds[2]]);
  t.true(history.runs.every((run) => run.status === 'completed'));
});

test('a run is kept with all its attempts, as new as its latest one; the run in progress is kept whatever its place', async (t) => {
  const state = await tempDir('solstice-state-');
  const store = new RunRecordStore<JobSummary>(new LocalDirectoryBackend(state), 'kept');
  const attempt = (runId: string, attempt: number, startedAt: string): RunRecord<JobSummary> => ({
    version: 1, jobId: 'kept', runId, attempt, startedAt, firstCheckpointId: attempt,
    placement: 'workers in-process; masters in-process', host: 'etl-01', pid: 1, command: 'test',
  });
  // Run a was killed, b ran after it, then a was resumed; c is the newest.
  const records = [
    attempt('run-a', 1, '2030-01-01T01:00:00.000Z'), attempt('run-b', 1, '2030-01-01T02:00:00.000Z'),
    attempt('run-a', 2, '2030-01-01T03:00:00.000Z'), attempt('run-c', 1, '2030-01-01T04:00:00.000Z'),
  ];
  for (const record of records) await store.write(store.keyOf(record), record);
  await writeFile(join(state, 'kept', 'runs', 'notes.txt'), 'not a record');

  await store.retain(2, 'run-c');
  t.deepEqual(await recordedRuns(join(state, 'kept', 'runs')), { 'run-a': 2, 'run-c': 1 });
  t.true(existsSync(join(state, 'kept', 'runs', 'notes.txt')), 'what is not a record stays');

  await store.retain(1, 'run-a');
  t.deepEqual(await recordedRuns(join(state, 'kept', 'runs')), { 'run-a': 2, 'run-c': 1 }, 'the newest run, and the one in progress');
  await store.retain(1, 'run-c');
  t.deepEqual(await recordedRuns(join(state, 'kept', 'runs')), { 'run-c': 1 });
});
