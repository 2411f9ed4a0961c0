/**
 * A restore onto another number of workers than the checkpoint had: the
 * aggregation's state, kept by key group, is spread over the workers the
 * job has now, and the sink transactions of workers that no longer exist are
 * committed by those that are left. Changing the number of key groups is
 * refused with the reason.
 */
import test from 'ava';
import { join } from 'node:path';
import { writeChaosInput } from './support/chaos-data.js';
import { checkWholeChaosOutput } from './support/chaos-expected.js';
import { CHAOS_WORKFLOW, attempt } from './support/chaos-run.js';
import { tempDir } from './support/files.js';

async function chaosJob(jobId: string) {
  const cwd = await tempDir(`solstice-${jobId}-`);
  const { records, totals } = await writeChaosInput(join(cwd, 'in'), 3, 40_000);
  const output = join(cwd, 'out');
  const args = (totalsParallelism: string, restore: boolean) => ['run', '--workflow', CHAOS_WORKFLOW, '--job-id', jobId,
    '--input', join(cwd, 'in', '*.jsonl'), '--output', output, '--delay-ms', '25', '--interval-secs', '0.25', '--progress-interval', '0',
    '--totals-parallelism', totalsParallelism, ...(restore ? ['--restore', 'latest'] : [])];
  return { cwd, output, records, totals, args };
}

test('killed with 2 aggregation workers, restored with 3 and then with 1: every record once and exact totals', async (t) => {
  const { cwd, output, records, totals, args } = await chaosJob('rescale');
  // The key groups stay 4 (the largest max of the stages the keyed stage feeds); the count the job starts with changes.
  const first = await attempt(args('2-4', false), cwd, { killAfterMs: 300 });
  t.true(first.killed, `the first run was killed after a checkpoint:\n${first.stderr}`);
  const second = await attempt(args('3-4', true), cwd, { killAfterMs: 300 });
  t.true(second.killed, `the second run was killed after a checkpoint:\n${second.stderr}`);
  t.regex(second.stderr, /"savedBy":2,[^\n]*"msg":"state restored by key group"/);
  const third = await attempt(args('1-4', true), cwd);
  t.is(third.code, 0, third.stderr);
  t.regex(third.stderr, /"savedBy":3,[^\n]*"keyGroups":\[0,1,2,3\][^\n]*"msg":"state restored by key group"/);
  await checkWholeChaosOutput(t, output, records, totals);
});

test('a restore whose keyed input has another number of key groups is refused, naming the stage and both counts', async (t) => {
  const { cwd, args } = await chaosJob('key-groups');
  const first = await attempt(args('2-4', false), cwd, { killAfterMs: 300 });
  t.true(first.killed, first.stderr);
  const second = await attempt(args('2-5', true), cwd);
  t.is(second.code, 1, second.stderr);
  t.regex(second.stderr, /KeyGroupsChangedError: Stage 'totals' was checkpointed with its keyed input in 4 key groups and now has 5/);
});
