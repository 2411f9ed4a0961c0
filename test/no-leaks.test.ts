/**
 * A service runs job after job in its own process with
 * `job.createRunner(options).run()`. Once a job has completed, failed or been
 * stopped, nothing of it stays in that process, wherever its actors ran: no
 * child process, worker thread, socket, pipe, timer or file descriptor, no
 * listener for process events, and no heap that grows with the jobs run.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobStoppedError, OperatorError, type PlacementConfig, type WorkerMode } from '../lib/index.js';
import { createJob } from './fixtures/gated_copy_workflow.js';
import { processesIn } from './support/processes.js';
import { processResources, resourcesGrown, type ProcessResources } from './support/process-resources.js';
import { isolatedState, tempDir } from './support/files.js';
import { until } from './support/until.js';

const WORKFLOW = fileURLToPath(new URL('./fixtures/gated_copy_workflow.js', import.meta.url));
/** The JIT's code grows for a while as the jobs run; a leak of a job's actors would be more. */
const HEAP_SLACK_BYTES = 3 * 2 ** 20;

const dir = await tempDir('solstice-no-leaks-');
// The jobs' processes start in this folder: processesIn finds them, also one whose parent has gone.
process.chdir(dir);
const input = join(dir, 'in.jsonl');
// Three splits of 200 bytes; the job that fails fails on the last.
await writeFile(input, Array.from({ length: 60 }, (_, id) => `${JSON.stringify({ id })}\n`).join(''));
const { stateBackend } = isolatedState();

type Outcome = 'completes' | 'fails' | 'is stopped' | 'loses a worker';
const OUTCOMES: Outcome[] = ['completes', 'fails', 'is stopped'];
/** A worker in a thread or process of its own can also be lost: the job then restarts and completes. */
const OUTCOMES_ELSEWHERE: Outcome[] = [...OUTCOMES, 'loses a worker'];

interface Placed {
  placement?: PlacementConfig;
  /** Fused into one worker, or a worker per stage with payloads between them. */
  chain: boolean;
}

let jobs = 0;

/** Runs one job to the outcome asked for, as a service would: its own runner, its own output folder. */
async function runJob(t: ExecutionContext, outcome: Outcome, { placement, chain }: Placed): Promise<void> {
  const n = ++jobs;
  const gate = join(dir, 'gates', String(n));
  const config = {
    input, output: join(dir, 'out', String(n)), chain,
    ...(outcome === 'fails' ? { failOnId: 59 } : {}),
    ...(outcome === 'is stopped' ? { gate } : {}),
    ...(outcome === 'loses a worker' ? { exitOnId: 59, once: join(dir, `exited-${n}`) } : {}),
  };
  const runner = createJob(`job-${n}`, config).createRunner({ stateBackend, restore: 'none', logLevel: 'silent', workflowModule: WORKFLOW, config, ...(placement ? { placement } : {}) });
  if (outcome === 'completes') {
    await runner.run();
    return;
  }
  if (outcome === 'loses a worker') {
    const { restarts, workersReplaced } = await runner.run();
    t.is(restarts + workersReplaced, 1, `job ${n} lost one worker (or the master it ran in) and completed`);
    return;
  }
  if (outcome === 'fails') {
    await t.throwsAsync(runner.run(), { instanceOf: OperatorError }, `job ${n} fails`);
    return;
  }
  // No split passes the gate: the job is still running when it is stopped, and stops once the gate opens.
  const run = runner.run();
  await until(`job ${n} runs`, async () => (await runner.status()).state === 'running');
  await runner.stop();
  await mkdir(join(dir, 'gates'), { recursive: true });
  await writeFile(gate, '');
  await t.throwsAsync(run, { instanceOf: JobStoppedError }, `job ${n} is stopped`);
}

/** No process any job started is left, and the process holds no more than `reference`, heap aside. */
async function checkNothingLeft(t: ExecutionContext, after: string, reference: ProcessResources): Promise<ProcessResources> {
  const now = await processResources();
  t.deepEqual(now.children, [], `${after}: child processes left`);
  t.deepEqual(processesIn(dir).filter((pid) => pid !== process.pid), [], `${after}: processes of the jobs left`);
  const grown = resourcesGrown(reference, now, Number.POSITIVE_INFINITY);
  t.deepEqual(grown, [], `${after}, compared with before: ${grown.join('; ')}`);
  return now;
}

/** The process as the first job leaves it, in-process: what every later job is compared with. */
let reference: Promise<ProcessResources> | undefined;
function processAfterFirstJob(t: ExecutionContext): Promise<ProcessResources> {
  reference ??= runJob(t, 'completes', { chain: true }).then(() => processResources());
  return reference;
}

/**
 * Runs `count` jobs, the `i`th placed as `placed(i)` and ending as
 * `outcome(i)`, and checks the process after each `checkEvery`th: nothing
 * is left compared with the first job's; from job `warm` on, the heap has
 * not grown either (beyond the JIT's slack).
 */
async function runSeries(t: ExecutionContext, name: string, count: number, warm: number, checkEvery: number, placed: (i: number) => Placed, outcome: (i: number) => Outcome) {
  const before = await processAfterFirstJob(t);
  let warmed: ProcessResources | undefined;
  for (let i = 1; i <= count; i++) {
    await runJob(t, outcome(i), placed(i));
    if (i % checkEvery !== 0 && i !== warm && i !== count) continue;
    const now = await checkNothingLeft(t, `after ${i} ${name} jobs`, before);
    if (i === warm) warmed = now;
    if (!warmed || i === warm) continue;
    const grown = resourcesGrown(warmed, now, HEAP_SLACK_BYTES);
    t.deepEqual(grown, [], `after ${i} ${name} jobs, compared with after ${warm}: ${grown.join('; ')}`);
  }
}

/**
 * Placements with actors in `mode`, each on one level of the actor tree: the
 * runner's child (the MetaService), the MetaService's (the masters), and a
 * stage master's (workers that read the payloads this process serves).
 */
function placementsIn(mode: WorkerMode): Placed[] {
  return [
    { placement: { MetaService: { mode } }, chain: true },
    { placement: { GlobalStateMaster: { mode }, StageMaster: { mode } }, chain: true },
    { placement: { Worker: { mode }, stages: { source: { Worker: { mode: 'in-process' } } } }, chain: false },
  ];
}

test.serial('200 in-process jobs that complete, fail or are stopped leave nothing behind, and the heap as the 20th left it', async (t) => {
  // Outcomes in turn, fusion on for two jobs and off for two: every pair within twelve jobs, and each ends a tenth job.
  await runSeries(t, 'in-process', 200, 20, 10, (i) => ({ chain: i % 4 < 2 }), (i) => OUTCOMES[i % 3]!);
});

for (const mode of ['threaded', 'forked'] as const) {
  test.serial(`${mode} masters and workers of 24 jobs that complete, fail, are stopped or lose a worker leave nothing behind`, async (t) => {
    const placements = placementsIn(mode);
    // Every placement with every outcome within twelve jobs.
    await runSeries(t, mode, 24, 12, 1, (i) => placements[i % 3]!, (i) => OUTCOMES_ELSEWHERE[Math.floor(i / 3) % 4]!);
  });
}

test.serial('three jobs started at once, in other processes and threads, leave nothing behind once all have ended', async (t) => {
  const before = await processAfterFirstJob(t);
  const [forkedMetaService, , forkedWorkers] = placementsIn('forked');
  const [, , threadedWorkers] = placementsIn('threaded');
  await Promise.all([forkedMetaService!, forkedWorkers!, threadedWorkers!].map((placed) => runJob(t, 'completes', placed)));
  await checkNothingLeft(t, 'after three jobs at once', before);
});
