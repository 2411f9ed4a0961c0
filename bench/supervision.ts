/**
 * bench/supervision: how long after a SIGKILL a lost worker is noticed.
 * Baseline: a bare forked Node process killed with SIGKILL, timed until its
 * parent's 'exit' event, the earliest a parent can know. Measured: a
 * `solstice-node run --workers forked` job whose map worker is killed
 * mid-run, timed until the stage master logs "worker lost" and until the
 * runner logs that it restarts the job. Median of `rounds` kills each;
 * ratio = baseline / detection (1 = as fast as Node itself can tell).
 */
import { execFileSync, fork, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { idRowsInput } from './id-rows-input.js';

const CLI = fileURLToPath(new URL('../bin/solstice-node.js', import.meta.url));
const WORKFLOW = fileURLToPath(new URL('./cpu-workflow.js', import.meta.url));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Kill -> 'exit' event of a plain forked Node process that sits idle. */
async function bareExitLatency(): Promise<number> {
  const child = fork('-e', ['process.send("ready"); setInterval(() => {}, 1000)'], { execArgv: [] });
  await new Promise((ready) => child.once('message', ready));
  const exited = new Promise<number>((done) => child.once('exit', () => done(performance.now())));
  const killedAt = performance.now();
  child.kill('SIGKILL');
  return (await exited) - killedAt;
}

/** The pid of the forked worker whose process title names `worker`, among the children of `parent`. */
function workerPid(parent: number, worker: string): number | undefined {
  const lines = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(parent)], { encoding: 'utf8' }).split('\n');
  const line = lines.find((l) => l.trimEnd().endsWith(` ${worker}`));
  return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
}

interface JobKill {
  detectedMs: number;
  restartMs: number;
}

/** Runs the job, kills its map worker once it is busy, and reads when the loss was logged. */
async function killJobWorker(input: string, dir: string): Promise<JobKill> {
  const child = spawn(process.execPath, [CLI, 'run', '--workflow', WORKFLOW, '--job-id', 'supervised', '--input', input,
    '--output', join(dir, 'out'), '--state-backend', join(dir, 'state'), '--workers', 'forked', '--progress-interval', '0.2'],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', done));
  while (!/^\[\d/m.test(stderr)) await sleep(20);
  await sleep(500);
  const victim = workerPid(child.pid!, 'Worker-digest-0');
  if (!victim) throw new Error('the map worker process was not found');
  const killedAt = Date.now();
  process.kill(victim, 'SIGKILL');
  const code = await exited;
  if (code !== 0) throw new Error(`the job exited with ${code}:\n${stderr}`);
  const logged = (msg: string) => {
    const line = stderr.split('\n').find((l) => l.startsWith('{') && (JSON.parse(l) as { msg: string }).msg.startsWith(msg));
    if (!line) throw new Error(`no "${msg}" log line:\n${stderr}`);
    return (JSON.parse(line) as { time: number }).time;
  };
  return { detectedMs: logged('worker lost') - killedAt, restartMs: logged('worker lost; restarting') - killedAt };
}

export async function runSupervisionBenchmark(args: string[]): Promise<number> {
  const rounds = Number(args[0] ?? 5);
  const input = await idRowsInput(100_000);
  const bare: number[] = [];
  const jobs: JobKill[] = [];
  for (let round = 0; round < rounds; round++) {
    bare.push(await bareExitLatency());
    const dir = await mkdtemp(join(tmpdir(), 'solstice-bench-'));
    try {
      jobs.push(await killJobWorker(input, dir));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const baseline = median(bare);
  const detected = median(jobs.map((j) => j.detectedMs));
  const restart = median(jobs.map((j) => j.restartMs));
  console.log(`SIGKILL of a forked process, median of ${rounds}`);
  console.log(`bare child process, kill -> 'exit' event:      ${baseline.toFixed(1)} ms`);
  console.log(`job worker, kill -> "worker lost" logged:       ${detected} ms (all: ${jobs.map((j) => j.detectedMs).join(', ')})`);
  console.log(`job worker, kill -> restart from checkpoint:    ${restart} ms (all: ${jobs.map((j) => j.restartMs).join(', ')})`);
  // The log's clock counts whole milliseconds: a detection within the same millisecond counts as 1 ms.
  const ratio = baseline / Math.max(1, detected);
  console.log(`supervision ratio=${ratio.toFixed(3)}`);
  return ratio;
}
