import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { writeChaosInput } from './chaos-data.js';
import { checkWholeChaosOutput } from './chaos-expected.js';
import { runCli, startCli, untilLogged } from './cli.js';
import { CLI, tempDir } from './files.js';

export const CHAOS_WORKFLOW = fileURLToPath(new URL('../fixtures/chaos_workflow.js', import.meta.url));

export interface Attempt {
  killed: boolean;
  code: number | null;
  stderr: string;
}

/**
 * Starts the CLI (at log level info) as a child process. Once the job has
 * published a checkpoint, if `killAfterMs` is set, it SIGKILLs the child that
 * long after, unless it ended first: every killed attempt leaves a checkpoint
 * to resume from, however slow a loaded machine is.
 */
export function attempt(args: string[], cwd: string, options: { killAfterMs?: number } = {}): Promise<Attempt> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args, '--log-level', 'info'], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let checkpointed = false;
    let killed = false;
    let timer: NodeJS.Timeout | undefined;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!checkpointed && /"msg":"checkpoint published"/.test(stderr)) {
        checkpointed = true;
        if (options.killAfterMs !== undefined) {
          timer = setTimeout(() => {
            killed = child.kill('SIGKILL');
          }, options.killAfterMs);
        }
      }
    });
    child.on('exit', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ killed: killed && code === null, code, stderr });
    });
  });
}

/**
 * Runs the chaos job, SIGKILLing it at random moments `kills` times and
 * resuming it with `--restore latest` each time, then checks that its output
 * holds every input record exactly once and exact per-user totals.
 */
export async function killAndResumeUntilDone(
  t: ExecutionContext,
  options: { stateBackend?: string; kills?: number; killWindowMs?: [number, number] } = {},
): Promise<void> {
  const cwd = await tempDir('solstice-chaos-');
  const { records, totals } = await writeChaosInput(join(cwd, 'in'), 3, 60_000);
  const output = join(cwd, 'out');
  const jobId = 'chaos';
  const state = options.stateBackend ? ['--state-backend', options.stateBackend] : [];
  const args = ['run', '--workflow', CHAOS_WORKFLOW, '--job-id', jobId, '--input', join(cwd, 'in', '*.jsonl'), '--output', output,
    '--delay-ms', '25', '--interval-secs', '0.25', '--progress-interval', '0.1', ...state];
  const wantedKills = options.kills ?? 5;

  let kills = 0;
  let finished = false;
  const log: string[] = [];
  for (let round = 0; round < 4 * wantedKills && !finished; round++) {
    const listing = await runCli(['checkpoints', 'list', '--job-id', jobId, ...state], { cwd });
    const restore = /^\d+\s/m.test(listing.stdout) ? ['--restore', 'latest'] : [];
    const [earliest, latest] = options.killWindowMs ?? [0, 1000];
    const killAfterMs = kills < wantedKills ? earliest + Math.floor(Math.random() * (latest - earliest)) : undefined;
    const result = await attempt([...args, ...restore], cwd, { killAfterMs });
    log.push(`round ${round}: ${restore.join(' ') || 'fresh'}, kill ${killAfterMs ?? '-'} ms after its first checkpoint: ${result.killed ? 'killed' : `exit ${result.code}`}`);
    if (result.killed) {
      kills++;
      continue;
    }
    t.is(result.code, 0, `${log.join('\n')}\n${result.stderr}`);
    finished = true;
  }
  t.log(log.join('\n'));
  t.true(finished, 'the job finished');
  t.true(kills >= Math.min(3, wantedKills), `the job was killed ${kills} times`);
  t.true(log.some((line) => line.includes('--restore latest')), 'the job was resumed from a checkpoint at least once');

  await checkWholeChaosOutput(t, output, records, totals);
}


/**
 * Runs the chaos job with its state at `stateBackend` and takes that backend's
 * server down once the job has completed a checkpoint, until a checkpoint has
 * failed: checkpoints must fail with a log line (and `failure`, the backend's
 * own message), the job must go on and complete with every record once the
 * server is back.
 */
export async function runThroughOutage(
  t: ExecutionContext,
  options: { stateBackend: string; stopServer: () => Promise<void>; startServer: () => Promise<void>; failure: RegExp },
): Promise<void> {
  const cwd = await tempDir('solstice-outage-');
  const { records, totals } = await writeChaosInput(join(cwd, 'in'), 2, 20_000);
  const output = join(cwd, 'out');
  const job = startCli(['run', '--workflow', CHAOS_WORKFLOW, '--job-id', 'outage', '--input', join(cwd, 'in', '*.jsonl'),
    '--output', output, '--delay-ms', '40', '--interval-secs', '0.3', '--progress-interval', '0.5', '--state-backend', options.stateBackend,
    '--log-level', 'info'], cwd);
  const published = await untilLogged(job, /"msg":"checkpoint published"/);
  t.true(published, `the job completed a checkpoint before it ended:\n${job.stderr()}`);
  if (published) {
    await options.stopServer();
    // The final checkpoint is retried while the server is down, so a job that reaches its end waits for it.
    const failed = await untilLogged(job, /checkpoint \d+ failed; the job keeps its last completed checkpoint and goes on/);
    await options.startServer();
    t.true(failed, 'a checkpoint failed while the server was down');
  }
  t.is(await job.exited, 0, job.stderr());
  t.regex(job.stderr(), options.failure);
  const listing = await runCli(['checkpoints', 'list', '--job-id', 'outage', '--state-backend', options.stateBackend], { cwd });
  t.regex(listing.stdout, /yes \(job complete\)/);
  await checkWholeChaosOutput(t, output, records, totals);
}

