/**
 * The runner's events for what happens to workers, embedded: a forked
 * worker killed with SIGKILL is told as `workerReplaced` (with its signal),
 * an elastic stage's growth as `scale`.
 */
import test from 'ava';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScaleEvent, WorkerReplacedEvent } from '../lib/index.js';
import { createJob as createRecoveryJob } from '../bench/recovery-workflow.js';
import { createJob as createAutoscaleJob } from '../bench/autoscale-workflow.js';
import { readJsonLinesDir, tempDir, writeIdFiles } from './support/files.js';
import { childPids } from './support/processes.js';

const RECOVERY_WORKFLOW = fileURLToPath(new URL('../bench/recovery-workflow.js', import.meta.url));
const AUTOSCALE_WORKFLOW = fileURLToPath(new URL('../bench/autoscale-workflow.js', import.meta.url));
const FILES = 6;
const ROWS_PER_FILE = 4000;
const TOTAL = FILES * ROWS_PER_FILE;

test('a forked worker killed with SIGKILL: workerReplaced tells which and why, and the job ends whole', async (t) => {
  const dir = await tempDir('solstice-embed-replaced-');
  await writeIdFiles(dir, FILES, ROWS_PER_FILE);
  const config = { input: join(dir, 'in', '*.jsonl'), output: join(dir, 'out'), callsFile: join(dir, 'calls') };
  const runner = createRecoveryJob('replaced', config).createRunner({
    workflowModule: RECOVERY_WORKFLOW, config, stateBackend: join(dir, 'state'), restore: 'none', placement: { Worker: { mode: 'forked' } },
    eventIntervalMs: 50, logLevel: 'error',
  });
  const replaced: WorkerReplacedEvent[] = [];
  runner.on('workerReplaced', (event) => replaced.push(event));
  let killed: number | undefined;
  runner.on('progress', (status) => {
    const work = status.stages.find((stage) => stage.stage === 'work');
    if (killed !== undefined || !work || work.rowsIn < TOTAL / 4) return;
    killed = childPids(process.pid)[0];
    if (killed !== undefined) process.kill(killed, 'SIGKILL');
  });
  const summary = await runner.run();
  t.truthy(killed, 'a worker process was killed');
  t.is(summary.restarts, 0);
  t.is(replaced.length, 1, JSON.stringify(replaced));
  t.is(replaced[0]!.stage, 'source');
  t.is(replaced[0]!.answer, 'replaced');
  t.regex(replaced[0]!.why, new RegExp(`pid ${killed}.*SIGKILL`));
  const ids = (await readJsonLinesDir(join(dir, 'out'))).map((row) => row.id as number).sort((a, b) => a - b);
  t.deepEqual(ids, Array.from({ length: TOTAL }, (_, id) => id).filter((id) => id % 2 === 0));
});

test('an elastic stage that grows: scale tells from, to and why', async (t) => {
  const dir = await tempDir('solstice-embed-scale-');
  await writeIdFiles(dir, 10, 2000);
  const config = { input: join(dir, 'in', '*.jsonl'), output: join(dir, 'out'), burst: 16, paceMs: 300, trickleCostUs: 0, parallelism: '1-2' };
  const runner = createAutoscaleJob('scale', config).createRunner({
    workflowModule: AUTOSCALE_WORKFLOW, config, stateBackend: join(dir, 'state'), restore: 'none', placement: { Worker: { mode: 'threaded' } }, eventIntervalMs: 50,
  });
  const decisions: ScaleEvent[] = [];
  runner.on('scale', (event) => decisions.push(event));
  await runner.run();
  const growth = decisions.find((decision) => decision.stage === 'work' && decision.from === 1 && decision.to === 2);
  t.truthy(growth, JSON.stringify(decisions));
  t.regex(growth!.reason, /the stage is the bottleneck/);
  t.true(decisions.every((decision) => decision.stage === 'work'), 'only the elastic stage scales');
  t.is(new Set(decisions.map((decision) => decision.at)).size, decisions.length, 'each decision once');
});
