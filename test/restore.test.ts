import test from 'ava';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkWholeChaosOutput } from './support/chaos-expected.js';
import { writeChaosInput } from './support/chaos-data.js';
import { runCli, startCli, untilBeforeExit } from './support/cli.js';
import { publishedCheckpointIds, tempDir } from './support/files.js';

const TRACED_WORKFLOW = fileURLToPath(new URL('fixtures/traced_workflow.js', import.meta.url));

/**
 * Runs the traced job (2 workers per stage) with its checkpoints under `cwd`,
 * and SIGKILLs it once it has published its first checkpoint, as a job killed
 * half-way would be. Returns the arguments that run it again.
 */
async function killedAfterFirstCheckpoint(cwd: string, jobId: string) {
  const { records, totals } = await writeChaosInput(join(cwd, 'in'), 2, 20_000);
  const args = (output: string) => ['run', '--workflow', TRACED_WORKFLOW, '--job-id', jobId, '--input', join(cwd, 'in', '*.jsonl'),
    '--output', output, '--interval-secs', '0.2', '--progress-interval', '0'];
  const cli = startCli([...args(join(cwd, 'out')), '--delay-ms', '20'], cwd);
  await untilBeforeExit(cli, 'its first checkpoint', () => publishedCheckpointIds(join(cwd, '.solstice', jobId, 'checkpoints')).length > 0);
  cli.child.kill('SIGKILL');
  await cli.exited;
  return { records, totals, args };
}

test('an aggregation whose key groups would change is refused, naming the stage and both counts; a sink resumes on fewer workers; --restore none starts afresh', async (t) => {
  const cwd = await tempDir('solstice-restore-');
  const { records, totals, args } = await killedAfterFirstCheckpoint(cwd, 'rescale');

  // Its parallelism is the largest of the stages the keyed stage feeds: its key groups would go from 2 to 3.
  const totalsRescaled = await runCli([...args(join(cwd, 'out')), '--totals-parallelism', '3'], { cwd });
  t.is(totalsRescaled.code, 1, totalsRescaled.stderr);
  t.regex(totalsRescaled.stderr, /^error: KeyGroupsChangedError: Stage 'totals' was checkpointed with its keyed input in 2 key groups and now has 3; /m);

  // One sink worker now: it commits the transaction of the worker that is gone, and drops what that one staged since.
  const sinkRescaled = await runCli([...args(join(cwd, 'out')), '--records-parallelism', '1', '--restore', 'latest'], { cwd });
  t.is(sinkRescaled.code, 0, sinkRescaled.stderr);
  t.regex(sinkRescaled.stdout, /^resumed from checkpoint \d+$/m);
  t.regex(sinkRescaled.stdout, /^records\s+1\s/m);
  await checkWholeChaosOutput(t, join(cwd, 'out'), records, totals);

  // Starting afresh reads the whole input again: into a new folder, every record and exact totals.
  const fresh = await runCli([...args(join(cwd, 'fresh')), '--totals-parallelism', '3', '--records-parallelism', '1', '--restore', 'none'], { cwd });
  t.is(fresh.code, 0, fresh.stderr);
  t.notRegex(fresh.stdout, /resumed from checkpoint/);
  t.regex(fresh.stdout, /^totals\s+3\s/m, 'the aggregation ran with its new parallelism');
  await checkWholeChaosOutput(t, join(cwd, 'fresh'), records, totals);
});

test('a stateless stage may resume with another parallelism, and the output holds every record once', async (t) => {
  const cwd = await tempDir('solstice-restore-');
  const { records, totals, args } = await killedAfterFirstCheckpoint(cwd, 'stateless');
  const resumed = await runCli([...args(join(cwd, 'out')), '--trace-parallelism', '3'], { cwd });
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stdout, /^resumed from checkpoint \d+$/m);
  t.regex(resumed.stdout, /^trace\s+3\s/m);
  await checkWholeChaosOutput(t, join(cwd, 'out'), records, totals);
});
