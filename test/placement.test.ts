import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowModuleRequiredError } from '../lib/index.js';
import { createJob as createChaosJob } from './fixtures/chaos_workflow.js';
import { writeChaosInput } from './support/chaos-data.js';
import { CHAOS_WORKFLOW } from './support/chaos-run.js';
import { runCli } from './support/cli.js';
import { processesIn } from './support/processes.js';
import { checkWholeChaosOutput } from './support/chaos-expected.js';
import { sameRows } from './support/compare.js';
import { expectedOrders } from './support/orders-expected.js';
import { isolatedState, readParquetDir, sortBy, tempDir } from './support/files.js';

test('the keyed, aggregating chaos job writes every record once and exact per-user totals with workers and masters in-process, threaded, forked and placed per stage', async (t) => {
  const dir = await tempDir('solstice-placement-');
  const { records, totals } = await writeChaosInput(join(dir, 'in'), 3, 6000);
  const placements = {
    mixed: { Worker: { mode: 'forked' }, stages: { key: { Worker: { mode: 'threaded' } }, totals: { Worker: { mode: 'in-process' } } } },
    'forked-masters': {
      MetaService: { mode: 'forked' }, GlobalStateMaster: { mode: 'forked' }, StageMaster: { mode: 'forked' },
      stages: { key: { StageMaster: { mode: 'in-process' }, Worker: { mode: 'threaded' } }, totals: { Worker: { mode: 'forked' } } },
    },
    'threaded-masters': {
      MetaService: { mode: 'threaded' }, GlobalStateMaster: { mode: 'threaded' }, StageMaster: { mode: 'threaded' },
      stages: { records: { StageMaster: { mode: 'forked' } }, totals: { Worker: { mode: 'forked' } } },
    },
    'threaded-masters-of-a-forked-MetaService': {
      MetaService: { mode: 'forked' }, GlobalStateMaster: { mode: 'threaded' }, StageMaster: { mode: 'threaded' },
      stages: { records: { StageMaster: { mode: 'forked' } }, totals: { Worker: { mode: 'forked' } }, key: { Worker: { mode: 'threaded' } } },
    },
  };
  const modes: Record<string, string[]> = {
    'in-process': ['--workers', 'in-process'],
    threaded: ['--workers', 'threaded'],
    forked: ['--workers', 'forked'],
  };
  for (const [name, placement] of Object.entries(placements)) {
    const file = join(dir, `${name}.json`);
    await writeFile(file, JSON.stringify(placement));
    modes[name] = ['--placement', file];
  }
  for (const [name, args] of Object.entries(modes)) {
    const output = join(dir, `out-${name}`);
    const result = await runCli(['run', '--workflow', CHAOS_WORKFLOW, '--job-id', `placement-${name}`, '--input', join(dir, 'in', '*.jsonl'),
      '--output', output, '--delay-ms', '0', '--split-bytes', '8000', '--progress-interval', '0', ...args], { cwd: dir });
    t.is(result.code, 0, `${name}: ${result.stderr}`);
    // No thread's or process's actor outlives the job: they all ran in this folder.
    t.deepEqual(processesIn(dir), [], `${name}: processes left running`);
    await checkWholeChaosOutput(t, output, records, totals, name);
  }
});

test('simple_etl writes exactly the orders over the threshold as Parquet with workers in-process, threaded and forked', async (t) => {
  const dir = await tempDir('solstice-placement-etl-');
  const input = join(dir, 'data', 'simple_etl', 'orders-20000.jsonl');
  for (const mode of ['in-process', 'threaded', 'forked']) {
    const output = join(dir, `out-${mode}`);
    const result = await runCli(['run', '--workflow', 'simple_etl', '--job-id', `etl-${mode}`, '--rows', '20000', '--split-bytes', '200000',
      '--output', output, '--workers', mode, '--progress-interval', '0'], { cwd: dir });
    t.is(result.code, 0, result.stderr);
    const expected = await expectedOrders(input, 100);
    t.true(expected.length > 5000, `${expected.length} orders over 100`);
    sameRows(t, sortBy(await readParquetDir(output), (row) => row.order_id as number), expected, mode);
  }
});

test('a malformed line read by a forked worker fails the job, naming the file and line', async (t) => {
  const dir = await tempDir('solstice-placement-bad-');
  await writeChaosInput(join(dir, 'in'), 1, 500);
  const input = join(dir, 'in', 'in-0.jsonl');
  const lines = (await readFile(input, 'utf8')).split('\n');
  lines[300] = '{"id": 300, "user": ';
  await writeFile(input, lines.join('\n'));
  const result = await runCli(['run', '--workflow', CHAOS_WORKFLOW, '--job-id', 'bad', '--input', input, '--output', join(dir, 'out'),
    '--delay-ms', '0', '--workers', 'forked', '--progress-interval', '0'], { cwd: dir });
  t.is(result.code, 1);
  t.regex(result.stderr, /OperatorError: Stage 'source'/);
  t.true(result.stderr.includes(`${input} (line 301): malformed JSON`), result.stderr);
});

test('a placement with an unknown mode or stage, or remote actors without a cluster, is refused with what is wrong', async (t) => {
  const dir = await tempDir('solstice-placement-wrong-');
  const file = join(dir, 'placement.json');
  await writeFile(file, JSON.stringify({ stages: { sorce: { Worker: { mode: 'forked' } } } }));
  const unknownStage = await runCli(['run', '--workflow', CHAOS_WORKFLOW, '--job-id', 'p', '--input', 'x', '--output', 'y', '--placement', file], { cwd: dir });
  t.is(unknownStage.code, 1);
  t.regex(unknownStage.stderr, /^error: PlacementError: placement: stage 'sorce' is not in the job \(stages: source, slow, key, records, totals, totals-sink\)$/m);
  await writeFile(file, JSON.stringify({ Worker: { mode: 'cloud' } }));
  const unknownMode = await runCli(['run', '--workflow', CHAOS_WORKFLOW, '--job-id', 'p', '--input', 'x', '--output', 'y', '--placement', file], { cwd: dir });
  t.regex(unknownMode.stderr, /placement: Worker has mode 'cloud'; expected one of in-process, threaded, forked, remote/);
  await writeFile(file, JSON.stringify({ stages: { totals: { Worker: { mode: 'remote' } } } }));
  const noCluster = await runCli(['run', '--workflow', CHAOS_WORKFLOW, '--job-id', 'p', '--input', 'x', '--output', 'y', '--placement', file], { cwd: dir });
  t.regex(noCluster.stderr, /placement: stages totals run 'remote' workers, which need a cluster: run with 'solstice-node start --hosts cluster.json'/);
  await writeFile(file, JSON.stringify({ StageMaster: { mode: 'remote' } }));
  const remoteMaster = await runCli(['run', '--workflow', CHAOS_WORKFLOW, '--job-id', 'p', '--input', 'x', '--output', 'y', '--placement', file], { cwd: dir });
  t.regex(remoteMaster.stderr, /placement: StageMaster of 'source' is 'remote', which needs a cluster: run with 'solstice-node start --hosts cluster.json'/);
  await writeFile(file, JSON.stringify({ GlobalStateMaster: { mode: 'forked', host: '127.0.0.2' } }));
  const hostOfLocal = await runCli(['run', '--workflow', CHAOS_WORKFLOW, '--job-id', 'p', '--input', 'x', '--output', 'y', '--placement', file], { cwd: dir });
  t.regex(hostOfLocal.stderr, /placement: GlobalStateMaster names host '127\.0\.0\.2', but only a 'remote' master runs on a host; its mode is 'forked'/);
});

test('a job built in code without a workflow module cannot place workers in other processes, and says why', async (t) => {
  const dir = await tempDir('solstice-placement-api-');
  const job = createChaosJob('embedded', { input: join(dir, '*.jsonl'), output: join(dir, 'out') });
  const runner = job.createRunner({ ...isolatedState(), placement: { Worker: { mode: 'forked' } } });
  const error = await t.throwsAsync(runner.run(), { instanceOf: WorkflowModuleRequiredError });
  t.regex(error!.message, /workers and masters outside this process rebuild the job from its workflow module; pass `workflowModule`/);
  t.is(error!.jobId, 'embedded');
  const withModule = createChaosJob('embedded', { input: join(dir, '*.jsonl'), output: join(dir, 'out') }).createRunner({
    ...isolatedState(), placement: { Worker: { mode: 'forked' } }, workflowModule: fileURLToPath(new URL('./fixtures/chaos_workflow.js', import.meta.url)),
  });
  await t.throwsAsync(withModule.run(), { message: /\*\.jsonl' matches no file/ }, 'with a workflow module it runs (and fails on its input only)');
});
