import test, { type ExecutionContext } from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeChaosInput } from './support/chaos-data.js';
import { runCli } from './support/cli.js';
import { readJsonLinesDir, tempDir } from './support/files.js';

const POLICY_WORKFLOW = fileURLToPath(new URL('fixtures/supervision_policy_workflow.js', import.meta.url));

function count(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
}

// Each restart starts the job's processes anew: on a loaded 2-core machine that takes tens of seconds.
const RUN_TIMEOUT_MS = 600_000;

/**
 * Runs the policy fixture (`source -> first -> second -> out`, forked
 * workers) with these options, and returns what it printed, how often each
 * stage failed, and a check of its output against the input.
 */
async function policyJob(t: ExecutionContext, args: string[]) {
  const cwd = await tempDir('solstice-policy-');
  const { records } = await writeChaosInput(join(cwd, 'in'), 1, 800);
  const counts = join(cwd, 'counts');
  await mkdir(counts);
  const failures = (stage: string) => {
    const file = join(counts, stage);
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : [];
  };
  // A hung worker that the job failed to kill would stay forever.
  t.teardown(() => {
    for (const pid of [...failures('first'), ...failures('second')]) killIfAlive(pid);
  });
  const output = join(cwd, 'out');
  const result = await runCli(['run', '--workflow', POLICY_WORKFLOW, '--job-id', 'policy', '--input', join(cwd, 'in', '*.jsonl'),
    '--output', output, '--counts', counts, '--workers', 'forked', '--progress-interval', '0', ...args], { cwd, timeoutMs: RUN_TIMEOUT_MS });
  const everyRecordOnce = async () => {
    const ids = (await readJsonLinesDir(output)).map((row) => row.id as number).sort((a, b) => a - b);
    t.deepEqual(ids, records.map((r) => r.id), 'every record once');
  };
  return { result, failures, everyRecordOnce };
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

// Each worker of 'first' fails only once it has been open for 1 s, and a restarted job opens its workers
// after the runner has counted the last loss: the three losses are more than 1 s apart on any machine.
const THREE_LOSSES_SPREAD_OVER_SECONDS = ['--first-times', '3', '--spread-secs', '1', '--max-restarts', '1'];

test('losses further apart than the window do not add up: one restart allowed within 1 s survives three losses 1 s apart', async (t) => {
  const { result, failures, everyRecordOnce } = await policyJob(t, [...THREE_LOSSES_SPREAD_OVER_SECONDS, '--within-secs', '1']);
  t.is(result.code, 0, result.stderr);
  t.is(failures('first').length, 3);
  t.is(count(result.stderr, /restarting the job from its last completed checkpoint/), 3);
  t.regex(result.stdout, /restarted 3 time\(s\)/);
  await everyRecordOnce();
});

test('the same losses within the window exhaust the budget: one restart allowed within an hour fails the job at the second loss', async (t) => {
  const { result, failures } = await policyJob(t, [...THREE_LOSSES_SPREAD_OVER_SECONDS, '--within-secs', '3600']);
  t.is(result.code, 1, result.stderr);
  t.is(failures('first').length, 2);
  t.regex(result.stderr, /SupervisionError: Stage 'first' lost workers 2 times within 3600 s/);
  t.regex(result.stderr, /Worker \d of stage 'first' \(pid \d+\) was killed by SIGKILL while processing split 'first\/source-00003'/);
  t.is(count(result.stderr, /restarting the job from its last completed checkpoint/), 1);
});

test('a stage\'s own window overrides the job\'s: the job allows one restart within an hour, stage first within 1 s', async (t) => {
  const { result, failures, everyRecordOnce } = await policyJob(t, [...THREE_LOSSES_SPREAD_OVER_SECONDS, '--within-secs', '3600',
    '--first-within-secs', '1']);
  t.is(result.code, 0, result.stderr);
  t.is(failures('first').length, 3);
  t.regex(result.stdout, /restarted 3 time\(s\)/);
  await everyRecordOnce();
});

test('each stage has its own budget: one restart allowed per stage survives one loss in each of two stages', async (t) => {
  // 'second' sees split 3 only once 'first' has stopped failing on it: the losses come first's, then second's.
  const { result, failures, everyRecordOnce } = await policyJob(t, ['--first-times', '1', '--second-times', '1', '--max-restarts', '1',
    '--within-secs', '3600']);
  t.is(result.code, 0, result.stderr);
  t.deepEqual([failures('first').length, failures('second').length], [1, 1]);
  t.regex(result.stderr, /Worker \d of stage 'first' \(pid \d+\) was killed by SIGKILL/);
  t.regex(result.stderr, /Worker \d of stage 'second' \(pid \d+\) was killed by SIGKILL/);
  t.regex(result.stdout, /restarted 2 time\(s\)/);
  await everyRecordOnce();
});

test('a stage\'s own maxRestarts overrides the job\'s, and the other stages keep the job\'s', async (t) => {
  // The job allows no restart; stage first allows two. First loses two workers and the job goes on;
  // second's one loss then fails it.
  const { result, failures } = await policyJob(t, ['--first-times', '2', '--second-times', '1', '--max-restarts', '0',
    '--first-max-restarts', '2', '--within-secs', '3600']);
  t.is(result.code, 1, result.stderr);
  t.deepEqual([failures('first').length, failures('second').length], [2, 1]);
  t.is(count(result.stderr, /restarting the job from its last completed checkpoint/), 2);
  t.regex(result.stderr, /SupervisionError: Stage 'second' lost workers 1 times within 3600 s/);
  t.regex(result.stderr, /Worker \d of stage 'second' \(pid \d+\) was killed by SIGKILL while processing split 'second\/source-00003'/);
});

test('a stage\'s own heartbeat timeout overrides the job\'s: its hung worker is killed after 2 s though the job waits an hour', async (t) => {
  const { result, failures, everyRecordOnce } = await policyJob(t, ['--first-times', '1', '--failure', 'hang', '--heartbeat-timeout-secs', '3600',
    '--first-heartbeat-timeout-secs', '2']);
  t.is(result.code, 0, result.stderr);
  const [hung] = failures('first');
  const said = new RegExp(`Worker 0 of stage 'first' \\(pid ${hung}\\) answered no heartbeat for (\\d+\\.\\d) s and was killed while processing split 'first/source-00003'`)
    .exec(result.stderr);
  t.truthy(said, result.stderr);
  // The timeout is a lower bound; when a loaded machine notices is not the test's business.
  t.true(Number(said?.[1]) >= 2);
  t.regex(result.stdout, /restarted 1 time\(s\)/);
  await everyRecordOnce();
});
