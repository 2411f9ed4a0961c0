import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeChaosInput } from './support/chaos-data.js';
import { CHAOS_WORKFLOW } from './support/chaos-run.js';
import { checkWholeChaosOutput } from './support/chaos-expected.js';
import { runCli, startCli, untilLogged, type RunningCli } from './support/cli.js';
import { childPids } from './support/processes.js';
import { readJsonLinesDir, tempDir } from './support/files.js';

const CRASH_WORKFLOW = fileURLToPath(new URL('fixtures/crash_workflow.js', import.meta.url));

/** The restart's log line names the checkpoint it resumes from (not 'none': the job had completed one). */
const RESUMED_FROM_A_CHECKPOINT = /"restore":\d+,[^\n]*"msg":"worker lost; restarting the job from its last completed checkpoint"/;

function count(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
}

/** The actor name a forked child of the job runs (its command line says it), or ''. */
function actorNameOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').find((arg) => /^(Worker|StageMaster|GlobalStateMaster|MetaService)-?/.test(arg)) ?? '';
  } catch {
    return '';
  }
}

/** The newest progress line shows the source with under a tenth of its splits left to read. */
function sourceNearlyRead(stdout: string): boolean {
  const progress = [...stdout.matchAll(/source (\d+)\/(\d+) splits/g)].at(-1);
  return progress !== undefined && Number(progress[1]) >= 0.9 * Number(progress[2]);
}

/**
 * Workers of the chaos job's stateless chains: a loss replaces them alone (their lost outputs are made again for
 * the stages that read them). A worker of the stateful 'totals' chain is replaced alone too, from the last
 * checkpoint's state, unless its end-of-input output is under way: then the job restarts.
 */
const REPLACED_ALONE = /^Worker-(source|slow\+key|records)-\d+$/;
const REPLACING = /"msg":"worker lost; replacing it and handing its split out again"/;
const REPLACING_FROM_STATE = /"msg":"worker lost; replacing it from the last checkpoint's state and running again the splits it finished since"/;
const REPLACING_ANY = /"msg":"worker lost; replacing it/;
/** How a lost worker is answered: replaced, or the job restarted. */
const ANSWER = /"msg":"worker lost; (replacing it|restarting the job)/;
const FOLLOW_UP = /its replacement died while starting|its replacement could not start|to run again on its replacement is lost/;

test('worker processes killed with SIGKILL mid-job are replaced, alone or by restarting the job from its last checkpoint, exactly once', async (t) => {
  const cwd = await tempDir('solstice-supervision-');
  const { records, totals } = await writeChaosInput(join(cwd, 'in'), 3, 60_000);
  const output = join(cwd, 'out');
  const job = startCli(['run', '--workflow', CHAOS_WORKFLOW, '--job-id', 'supervised', '--input', join(cwd, 'in', '*.jsonl'),
    '--output', output, '--delay-ms', '25', '--interval-secs', '0.25', '--progress-interval', '0.1', '--workers', 'forked', '--max-restarts', '10', '--log-level', 'info'], cwd);

  const killed: { pid: number; alone: boolean; at: number }[] = [];
  // Checkpoints are counted in the attempt now running, since the last kill was answered: the next kill lands on a
  // job that runs again, not on processes a restart or a replacement is still taking down or starting.
  let answeredAt = 0;
  for (let kill = 1; kill <= 3 && !job.ended(); kill++) {
    // Wait for one to three checkpoints (a random moment of the run, reached by events).
    const checkpoints = 1 + Math.floor(Math.random() * 3);
    const since = (text: string) => text.slice(Math.max(answeredAt, text.lastIndexOf('restarting the job')));
    if (!(await untilLogged(job, (text) => count(since(text), /"msg":"checkpoint published"/) >= checkpoints))) break;
    // A worker killed once its stage has ended is being shut down, not lost: nothing answers it. Kill only while
    // the source has a tenth of its splits left, so every stage still has work when the kill lands.
    if (sourceNearlyRead(job.stdout())) break;
    const workers = childPids(job.child.pid!);
    if (job.ended() || workers.length === 0) break;
    const victim = workers[Math.floor(Math.random() * workers.length)]!;
    const alone = REPLACED_ALONE.test(actorNameOf(victim));
    const at = job.stderr().length;
    process.kill(victim, 'SIGKILL');
    killed.push({ pid: victim, alone, at });
    // Answered by a line that names it, or taken down with its attempt by a restart already under way.
    await untilLogged(job, (text) => text.includes(`(pid ${victim}) was killed by SIGKILL`) || text.indexOf('restarting the job', at) >= 0);
    answeredAt = job.stderr().length;
  }
  t.is(await job.exited, 0, job.stderr());
  t.log(`killed worker processes ${killed.map(({ pid, alone }) => `${pid}${alone ? ' (replaced alone)' : ''}`).join(', ')}`);
  t.true(killed.length >= 2, `${killed.length} workers were killed before the job ended`);

  const stderr = job.stderr();
  const answers = stderr.split('\n').filter((line) => ANSWER.test(line));
  const naming = (pid: number) => answers.filter((line) => line.includes(`(pid ${pid}) was killed by SIGKILL`));
  for (const { pid, alone, at } of killed) {
    const answer = naming(pid);
    if (answer.length === 0) {
      t.true(stderr.indexOf('restarting the job', at) >= 0, `the loss of ${pid} was answered:\n${answers.join('\n')}`);
      continue;
    }
    t.is(answer.length, 1, `the loss of ${pid} was answered once:\n${answer.join('\n')}`);
    if (alone) t.regex(answer[0]!, REPLACING_ANY, `only a loss in the stateful chain may restart the job:\n${answer[0]}`);
  }
  // Every other answer follows up on one of these: a replacement that died while it started, or could not start,
  // or whose splits to run again lost their input, is answered once more.
  const killedPids = killed.map(({ pid }) => pid);
  const unexplained = answers.filter((line) => !killedPids.some((pid) => line.includes(`(pid ${pid}) was killed by SIGKILL`)) && !FOLLOW_UP.test(line));
  t.deepEqual(unexplained, [], 'each answer is to a kill or follows one up');

  const restarts = count(stderr, /restarting the job from its last completed checkpoint/);
  const replaced = count(stderr, REPLACING_ANY);
  if (restarts > 0) t.regex(job.stdout(), new RegExp(`restarted ${restarts} time\\(s\\)`));
  if (replaced > 0) t.regex(job.stdout(), new RegExp(`^${replaced} lost worker\\(s\\) replaced`, 'm'));
  await checkWholeChaosOutput(t, output, records, totals);
});

/** Starts the chaos job on forked workers, checkpointing every 250 ms. */
async function startForkedChaosJob(jobId: string) {
  const cwd = await tempDir(`solstice-supervision-${jobId}-`);
  const { records, totals } = await writeChaosInput(join(cwd, 'in'), 2, 30_000);
  const output = join(cwd, 'out');
  const job = startCli(['run', '--workflow', CHAOS_WORKFLOW, '--job-id', jobId, '--input', join(cwd, 'in', '*.jsonl'),
    '--output', output, '--delay-ms', '25', '--interval-secs', '0.25', '--progress-interval', '0.1', '--workers', 'forked', '--log-level', 'info'], cwd);
  return { job, output, records, totals };
}

test('a worker of a stateless sink fed by a keyed shuffle, killed with SIGKILL, is replaced alone and reads its split again from the producer, exactly once', async (t) => {
  const { job, output, records, totals } = await startForkedChaosJob('sink-lost');
  await untilLogged(job, /"msg":"checkpoint published"/);
  const victim = childPids(job.child.pid!).find((pid) => actorNameOf(pid) === 'Worker-records-0');
  t.truthy(victim, 'the records sink has a worker process of its own');
  process.kill(victim!, 'SIGKILL');
  t.is(await job.exited, 0, job.stderr());
  t.regex(job.stderr(), REPLACING);
  t.notRegex(job.stderr(), /restarting the job/);
  t.regex(job.stdout(), /^1 lost worker\(s\) replaced/m);
  await checkWholeChaosOutput(t, output, records, totals);
});

test('a worker of a stateful aggregation killed with SIGKILL is replaced alone: it restores the last checkpoint\'s state and runs again the splits it finished since, exactly once', async (t) => {
  const { job, output, records, totals } = await startForkedChaosJob('stateful-lost');
  // Once the totals chain's master knows a published checkpoint, whose state a replacement restores.
  await untilLogged(job, /"stage":"totals\+totals-sink"[^\n]*"msg":"checkpoint committed"/);
  const victim = childPids(job.child.pid!).find((pid) => actorNameOf(pid) === 'Worker-totals+totals-sink-1');
  t.truthy(victim, 'the totals chain has a worker process of its own');
  process.kill(victim!, 'SIGKILL');
  t.is(await job.exited, 0, job.stderr());
  const replaced = job.stderr().split('\n').find((line) => REPLACING_FROM_STATE.test(line));
  t.truthy(replaced, job.stderr());
  t.is((JSON.parse(replaced!) as { restoredState: boolean }).restoredState, true, 'it restored the state of a published checkpoint');
  t.notRegex(job.stderr(), /restarting the job/);
  t.regex(job.stdout(), /^1 lost worker\(s\) replaced/m);
  // The totals are counted from every record once: the replayed splits count once, the state restored covers the rest.
  await checkWholeChaosOutput(t, output, records, totals);
});

// 'slow' and 'key' run fused as one chain, whose master is named by both and reports against its first stage.
for (const [master, who] of [['StageMaster-slow+key', "The StageMaster of stage 'slow'"], ['GlobalStateMaster', "The job's GlobalStateMaster"]] as const) {
  test(`a ${master} process killed with SIGKILL mid-job restarts the job from its last checkpoint, exactly once`, async (t) => {
    const { job, output, records, totals } = await startMasterJob(`kill-${master}`, { StageMaster: { mode: 'forked' }, GlobalStateMaster: { mode: 'forked' } });
    // The masters are the job's forked children; each says which it is in its command line.
    const victim = childNamed(job, master);
    t.truthy(victim, `the ${master} runs in a process of its own`);
    process.kill(victim!, 'SIGKILL');
    t.is(await job.exited, 0, job.stderr());
    t.regex(job.stderr(), new RegExp(`${who} \\(pid ${victim}\\) was killed by SIGKILL`));
    t.is(count(job.stderr(), /restarting the job from its last completed checkpoint/), 1);
    t.regex(job.stderr(), RESUMED_FROM_A_CHECKPOINT);
    t.regex(job.stdout(), /restarted 1 time\(s\)/);
    await checkWholeChaosOutput(t, output, records, totals);
  });
}

for (const [master, placement] of [['StageMaster-key', { StageMaster: { mode: 'forked' } }], ['MetaService', { MetaService: { mode: 'forked' } }]] as const) {
  test(`a hung ${master} (its process stopped) is killed after its heartbeat timeout, and the job restarts from its last checkpoint, exactly once`, async (t) => {
    // The hung master's timeout is short; every other actor keeps the default (60 s), so that a healthy one stalled
    // by a loaded machine is not taken for hung. The MetaService is pinged on the job's timeout, a StageMaster on its stage's.
    // With a supervision policy of its own, 'key' no longer fuses with 'slow': it has a master of its own.
    const timeouts = master === 'MetaService' ? ['--heartbeat-timeout-secs', '3', '--stage-heartbeat-timeouts', '*=60'] : ['--stage-heartbeat-timeouts', 'key=3'];
    const { job, output, records, totals } = await startMasterJob(`hang-${master}`, placement, timeouts);
    const victim = childNamed(job, master);
    t.truthy(victim, `the ${master} runs in a process of its own`);
    process.kill(victim!, 'SIGSTOP');
    // Should the job not kill it, a stopped process would stay forever.
    t.teardown(() => killIfAlive(victim!));
    t.is(await job.exited, 0, job.stderr());
    const who = master === 'MetaService' ? "The job's MetaService" : "The StageMaster of stage 'key'";
    // The timeout is a lower bound: how much later a loaded machine notices is not the test's business.
    t.true(silentSecs(job.stderr(), `${who} \\(pid ${victim}\\)`) >= 3, job.stderr());
    t.regex(job.stdout(), /restarted 1 time\(s\)/);
    await checkWholeChaosOutput(t, output, records, totals);
  });
}

async function crashJob(args: string[]) {
  const cwd = await tempDir('solstice-crash-');
  const { records } = await writeChaosInput(join(cwd, 'in'), 1, 3000);
  const output = join(cwd, 'out');
  // Each restart starts the job's processes anew: on a loaded 2-core machine that takes tens of seconds.
  const result = await runCli(['run', '--workflow', CRASH_WORKFLOW, '--job-id', 'crash', '--input', join(cwd, 'in', '*.jsonl'),
    '--output', output, '--progress-interval', '0', ...args], { cwd, timeoutMs: 600_000 });
  return { cwd, output, records, result };
}

/** Starts the chaos job with its masters placed as given, and waits until it runs. */
async function startMasterJob(jobId: string, placement: object, args: string[] = []) {
  const cwd = await tempDir(`solstice-${jobId}-`);
  const { records, totals } = await writeChaosInput(join(cwd, 'in'), 2, 20_000);
  const output = join(cwd, 'out');
  const placementFile = join(cwd, 'placement.json');
  await writeFile(placementFile, JSON.stringify(placement));
  const job = startCli(['run', '--workflow', CHAOS_WORKFLOW, '--job-id', jobId, '--input', join(cwd, 'in', '*.jsonl'),
    '--output', output, '--delay-ms', '25', '--interval-secs', '0.25', '--progress-interval', '0.1', '--placement', placementFile, '--log-level', 'info', ...args], cwd);
  // Mid-job: once it has completed a checkpoint to restart from.
  await untilLogged(job, /"msg":"checkpoint published"/);
  return { job, output, records, totals };
}

/** How long the actor whose loss `who` (a pattern) names had answered no heartbeat when it was killed, in seconds. */
function silentSecs(stderr: string, who: string): number {
  const said = new RegExp(`${who} answered no heartbeat for (\\d+\\.\\d) s and was killed`).exec(stderr);
  return said ? Number(said[1]) : Number.NaN;
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** The forked child of the job whose command line names `name` (Comedy passes a forked actor's name to its process). */
function childNamed(job: RunningCli, name: string): number | undefined {
  return childPids(job.child.pid!).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(name));
}

test('a worker that keeps getting killed on the same split fails the job after maxRestarts, naming stage, split and cause', async (t) => {
  // Every loss counts however slowly a loaded machine restarts: the window is an hour.
  const { result } = await crashJob(['--workers', 'forked', '--failure', 'kill', '--fail-on', '3', '--max-restarts', '2', '--within-secs', '3600']);
  t.is(result.code, 1, result.stderr);
  t.regex(result.stderr, /SupervisionError: Stage 'work' lost workers 3 times within 3600 s/);
  t.regex(result.stderr, /Worker \d of stage 'work' \(pid \d+\) was killed by SIGKILL while processing split 'work\/source-00003'/);
  t.is(count(result.stderr, /restarting the job from its last completed checkpoint/), 2);
});

test('a hung worker process is killed after its heartbeat timeout and counts as lost', async (t) => {
  // 3 s for the 'work' stage only (see the crash workflow): the other stages keep the default.
  const { result } = await crashJob(['--workers', 'forked', '--failure', 'hang', '--fail-on', '2', '--max-restarts', '0',
    '--heartbeat-timeout-secs', '3']);
  t.is(result.code, 1, result.stderr);
  t.regex(result.stderr, /SupervisionError: Stage 'work' lost workers 1 times within 60 s/);
  t.regex(result.stderr, /\(pid \d+\) answered no heartbeat for \d+\.\d s and was killed while processing split 'work\/source-00002'/);
  t.true(silentSecs(result.stderr, `Worker \\d of stage 'work' \\(pid \\d+\\)`) >= 3, 'not before its heartbeat timeout');
});

test('a worker thread that exits is detected, and the restarted job writes every record once', async (t) => {
  const marker = join(await tempDir('solstice-crash-marker-'), 'failed-once');
  const { output, records, result } = await crashJob(['--workers', 'threaded', '--failure', 'exit', '--fail-on', '4', '--once', marker, '--log-level', 'info']);
  t.is(result.code, 0, result.stderr);
  t.true(existsSync(marker));
  t.regex(result.stderr, /Worker \d of stage 'work' \(thread \d+\) exited with code 3 while processing split 'work\/source-00004'/);
  t.regex(result.stdout, /restarted 1 time\(s\)/);
  const ids = (await readJsonLinesDir(output)).map((row) => row.id as number).sort((a, b) => a - b);
  t.is(ids.length, records.length, `${result.stdout}\n${result.stderr}\n${(await readdir(output, { recursive: true })).join(' ')}`);
  t.deepEqual(ids, records.map((r) => r.id));
});

test('a worker process killed while it starts counts as lost, and the job fails once its policy is spent', async (t) => {
  const { result } = await crashJob(['--workers', 'forked', '--failure', 'kill', '--fail-on', 'open', '--max-restarts', '1', '--within-secs', '3600']);
  t.is(result.code, 1, result.stderr);
  t.regex(result.stderr, /SupervisionError: Stage 'work' lost workers 2 times within 3600 s/);
  t.regex(result.stderr, /Worker 1 of stage 'work' \(pid \d+\) was killed by SIGKILL while starting/);
  t.is(count(result.stderr, /restarting the job from its last completed checkpoint/), 1);
});

test('a worker thread that exits while it starts is replaced by the restarted job, which writes every record once', async (t) => {
  const marker = join(await tempDir('solstice-crash-marker-'), 'failed-once');
  const { output, records, result } = await crashJob(['--workers', 'threaded', '--failure', 'exit', '--fail-on', 'open', '--once', marker]);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr, /Worker 1 of stage 'work' \(thread \d+\) exited with code 3 while starting/);
  t.regex(result.stdout, /restarted 1 time\(s\)/);
  const ids = (await readJsonLinesDir(output)).map((row) => row.id as number).sort((a, b) => a - b);
  t.deepEqual(ids, records.map((r) => r.id));
});

test('a job built in code gets its supervision policy checked', async (t) => {
  const { Job } = await import('../lib/index.js');
  t.throws(() => new Job({ jobId: 'x', supervision: { maxRestarts: -1 } }), { message: /supervision.maxRestarts must be a whole number, 0 or more, got -1/ });
  t.throws(() => new Job({ jobId: 'x', supervision: { failover: 'region' as 'job' } }), { message: /supervision.failover must be 'worker' or 'job', got "region"/ });
});
