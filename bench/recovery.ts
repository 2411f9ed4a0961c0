/**
 * bench/recovery: how much work a killed job redoes, and how long
 * its checkpoints take while every core is busy. The job
 * (bench/recovery-workflow.ts: 20 JSON lines files of 10,000 rows -> a row
 * function of `costUs` µs per row -> filter -> JSON lines, parallelism 2,
 * a checkpoint every second and every 5,000 records) runs through the CLI:
 *
 * - once whole, per placement mode, for its checkpoints' latency (from
 *   closing the epoch to the manifest, from the state master's log);
 * - killed with SIGKILL when the row function's calls, over all attempts,
 *   reach 30%, 60% and 90% of the input, resumed after each kill, then run
 *   to the end: the calls over all attempts divided by the input rows is
 *   the work done, 1 + the redone fraction (starting over at each kill would
 *   give 1.9).
 *
 * The output must hold every kept row once, or the bench throws.
 * Ends `recovery ratio=<input rows / calls>` for the worst mode.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const CLI = here('../bin/solstice-node.js');
const WORKFLOW = here('./recovery-workflow.js');
const MODES = ['in-process', 'threaded', 'forked'] as const;
type Mode = (typeof MODES)[number];
const KILL_AT = [0.3, 0.6, 0.9];

interface Attempt {
  code: number | null;
  stderr: string;
}

/** Runs the job once; with `killAtCalls`, SIGKILLs it (its whole process group) once the calls file holds that many. */
function attempt(dir: string, mode: Mode, costUs: number, restore: 'none' | undefined, killAtCalls?: number): Promise<Attempt> {
  const args = [
    CLI, 'run', '--workflow', WORKFLOW, '--job-id', 'recovery', '--input', join(dir, 'in', '*.jsonl'), '--output', join(dir, 'out'),
    '--calls-file', join(dir, 'calls'), '--cost-us', String(costUs), '--workers', mode,
    '--log-level', 'info', '--progress-interval', '0',
  ];
  // Without --restore the CLI resumes from the latest checkpoint if there is one.
  if (restore !== undefined) args.push('--restore', restore);
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let watch: NodeJS.Timeout | undefined;
  if (killAtCalls !== undefined) {
    watch = setInterval(() => {
      if (callsIn(dir) >= killAtCalls) {
        clearInterval(watch);
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // ended meanwhile
        }
      }
    }, 5);
  }
  return new Promise((resolve) => child.on('exit', (code) => {
    clearInterval(watch);
    resolve({ code, stderr });
  }));
}

/** The actor a forked child runs (Comedy passes its name on the command line), or ''. */
function actorNameOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').find((arg) => arg.startsWith('Worker-')) ?? '';
  } catch {
    return '';
  }
}

function callsIn(dir: string): number {
  try {
    return statSync(join(dir, 'calls')).size;
  } catch {
    return 0;
  }
}

function latencies(stderr: string): number[] {
  const out: number[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.includes('"checkpoint published"')) continue;
    const entry = JSON.parse(line) as { latencyMs?: number; final?: boolean };
    if (typeof entry.latencyMs === 'number' && !entry.final) out.push(entry.latencyMs);
  }
  return out;
}

function writeInput(dir: string, files: number, rowsPerFile: number): number[] {
  mkdirSync(join(dir, 'in'), { recursive: true });
  const kept: number[] = [];
  for (let f = 0; f < files; f++) {
    let text = '';
    for (let i = 0; i < rowsPerFile; i++) {
      const id = f * rowsPerFile + i;
      text += `${JSON.stringify({ id, value: (id * 7919) % 10007 })}\n`;
      if (id % 2 === 0) kept.push(id);
    }
    writeFileSync(join(dir, 'in', `part-${String(f).padStart(2, '0')}.jsonl`), text);
  }
  return kept;
}

/** Throws unless the output holds every kept id once, with the row function's score. */
function checkOutput(dir: string, kept: number[], what: string): void {
  const ids: number[] = [];
  const out = join(dir, 'out');
  for (const name of readdirSync(out).filter((n) => n.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(out, name), 'utf8').split('\n')) {
      if (!line) continue;
      const row = JSON.parse(line) as { id: number; value: number; score: number };
      if (row.score !== (row.value * 31) % 1000) throw new Error(`${what}: row ${row.id} has score ${row.score}`);
      ids.push(row.id);
    }
  }
  ids.sort((a, b) => a - b);
  if (ids.length !== kept.length || ids.some((id, i) => id !== kept[i])) {
    throw new Error(`${what}: the output holds ${ids.length} rows (${new Set(ids).size} distinct), not the ${kept.length} kept ones once each`);
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

export async function runRecoveryBenchmark(args: string[]): Promise<number> {
  const costUs = Number(args[0] ?? 100);
  const files = Number(args[1] ?? 20);
  const rowsPerFile = Number(args[2] ?? 10_000);
  const modes = (args[3]?.split(',') ?? MODES) as Mode[];
  const rows = files * rowsPerFile;
  console.log(`${files} files of ${rowsPerFile.toLocaleString('en')} rows, a row function of ${costUs} µs per row, parallelism 2, checkpoints every 1 s and 5,000 records`);
  let ratio = Infinity;
  for (const mode of modes) {
    const whole = mkdtempSync(join(tmpdir(), 'solstice-recovery-'));
    const killed = mkdtempSync(join(tmpdir(), 'solstice-recovery-'));
    try {
      const kept = writeInput(whole, files, rowsPerFile);
      const started = performance.now();
      const run = await attempt(whole, mode, costUs, 'none');
      const wallMs = performance.now() - started;
      if (run.code !== 0) throw new Error(`${mode}: the whole run exited ${run.code}:\n${run.stderr.slice(-3000)}`);
      checkOutput(whole, kept, `${mode}, whole run`);
      const waits = latencies(run.stderr);

      writeInput(killed, files, rowsPerFile);
      const kills: string[] = [];
      let restore: 'none' | undefined = 'none';
      for (const share of KILL_AT) {
        const result = await attempt(killed, mode, costUs, restore, Math.round(share * rows));
        kills.push(`${Math.round(share * 100)}%${result.code === null ? '' : ` (ended first, exit ${result.code})`}`);
        restore = undefined;
      }
      const last = await attempt(killed, mode, costUs, undefined);
      if (last.code !== 0) throw new Error(`${mode}: the last run exited ${last.code}:\n${last.stderr.slice(-3000)}`);
      checkOutput(killed, kept, `${mode}, killed and resumed`);
      const calls = callsIn(killed);
      ratio = Math.min(ratio, rows / calls);
      console.log(
        `${mode.padEnd(10)} whole run ${(wallMs / 1000).toFixed(1)} s, checkpoint latency median ${median(waits)} ms, max ${Math.max(...waits)} ms (${waits.length} checkpoints); ` +
          `killed at ${kills.join(', ')} of the calls and resumed: ${(calls / rows).toFixed(2)}x the input's calls (goal <= 1.3x)`,
      );
    } finally {
      rmSync(whole, { recursive: true, force: true });
      rmSync(killed, { recursive: true, force: true });
    }
  }
  if (modes.includes('forked')) {
    console.log(await oneWorkerKilled(costUs, files, rowsPerFile, false));
    console.log(await oneWorkerKilled(costUs, files, rowsPerFile, true));
  }
  console.log(`recovery ratio=${ratio.toFixed(3)}`);
  return ratio;
}

/**
 * Forked workers; one of them SIGKILLed at half the calls: the rows read
 * again, and whether the job restarted. Fused, the whole job is one chain;
 * unfused (`--chain false`), every stage has workers of its own, and a worker
 * of the row function's stage is killed: the outputs it made that the
 * filter had not read yet are made again.
 */
async function oneWorkerKilled(costUs: number, files: number, rowsPerFile: number, unfused: boolean): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'solstice-recovery-'));
  try {
    const kept = writeInput(dir, files, rowsPerFile);
    const rows = files * rowsPerFile;
    const args = [
      CLI, 'run', '--workflow', WORKFLOW, '--job-id', 'recovery', '--input', join(dir, 'in', '*.jsonl'), '--output', join(dir, 'out'),
      '--calls-file', join(dir, 'calls'), '--cost-us', String(costUs), '--workers', 'forked', '--log-level', 'info', '--progress-interval', '0',
      ...(unfused ? ['--chain', 'false'] : []),
    ];
    const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let killed: number | undefined;
    const watch = setInterval(() => {
      if (killed !== undefined || callsIn(dir) < rows / 2) return;
      const workers = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      killed = unfused ? workers.find((pid) => actorNameOf(pid).startsWith('Worker-work-')) : workers[0];
      if (killed !== undefined) process.kill(killed, 'SIGKILL');
    }, 5);
    const code = await exited;
    clearInterval(watch);
    if (code !== 0) throw new Error(`one worker killed: the job exited ${code}:\n${output.slice(-3000)}`);
    checkOutput(dir, kept, 'one worker killed');
    const redone = callsIn(dir) - rows;
    const how = /restarting the job/.test(output) ? 'the job restarted' : /replaced while the job ran/.test(output) ? 'the worker was replaced, no restart' : 'no loss seen';
    const remade = output.match(/"msg":"split input lost; asking its stage to make it again"/g)?.length ?? 0;
    return `forked${unfused ? ', unfused' : ''}, one ${unfused ? "'work' " : ''}worker killed with SIGKILL at 50% of the calls: ` +
      `${redone} rows read again (${(redone / rows * 100).toFixed(1)}% of the input), ${how}${unfused ? `, ${remade} lost output(s) made again` : ''}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
