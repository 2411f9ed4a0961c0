/**
 * bench/autoscale: `source -> pace -> work -> sink` (bench/autoscale-workflow.ts)
 * through the CLI with forked workers, `work` a CPU-bound map, in two loads:
 *
 * - changing: a burst of splits at once (a backlog for `work`), then one
 *   split every `paceMs` (its upstream is then the slow stage);
 * - steady: every split at once.
 *
 * Each load runs with `work` fixed at 1 worker, fixed at N, and elastic
 * `[1, N]`, in the same run. Printed: wall time, and `work`'s worker-seconds
 * (from the job's summary). Goals: under the changing load, elastic within
 * 15% of fixed N's wall with at least 30% fewer worker-seconds; under the
 * steady load, elastic at most 0.6x the wall of fixed 1 (fixed at the
 * machine's cores, the limit, is printed beside it). Ratio: fixed N's
 * worker-seconds / elastic's, changing load.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const CLI = here('../bin/solstice-node.js');
const WORKFLOW = here('./autoscale-workflow.js');

interface Run {
  wallSecs: number;
  workerSecs: number;
  counts: string;
}

function writeInput(dir: string, files: number, rowsPerFile: number): void {
  mkdirSync(join(dir, 'in'));
  for (let f = 0; f < files; f++) {
    const lines = Array.from({ length: rowsPerFile }, (_, i) => JSON.stringify({ id: f * rowsPerFile + i }));
    writeFileSync(join(dir, 'in', `part-${f}.jsonl`), `${lines.join('\n')}\n`);
  }
}

/** One run of the job; `work`'s worker-seconds and how it scaled are read from the summary. */
function run(dir: string, parallelism: string, load: string[]): Promise<Run> {
  const out = join(dir, `out-${parallelism}-${load.join('')}`);
  const args = [CLI, 'run', '--workflow', WORKFLOW, '--job-id', `autoscale-${parallelism}`, '--input', join(dir, 'in', '*.jsonl'), '--output', out,
    '--parallelism', parallelism, '--workers', 'forked', '--progress-interval', '0', '--interval-secs', '0', ...load];
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => child.on('exit', (code) => {
    const wallSecs = (performance.now() - started) / 1000;
    if (code !== 0) {
      reject(new Error(`parallelism ${parallelism}: exit ${code}\n${stderr.slice(-3000)}`));
      return;
    }
    const row = stdout.split('\n').find((line) => /^work\s+\d/.test(line));
    const workerSecs = Number(row?.trim().split(/\s+/).at(-1));
    if (!Number.isFinite(workerSecs)) {
      reject(new Error(`no worker-seconds for 'work' in the summary:\n${stdout}`));
      return;
    }
    resolve({ wallSecs, workerSecs, counts: /^work scaled (.*) \(last:/m.exec(stdout)?.[1] ?? 'not scaled' });
  }));
}

const describe = (name: string, r: Run) => `${name.padEnd(8)} wall ${r.wallSecs.toFixed(1)} s, work ${r.workerSecs.toFixed(1)} worker-s (${r.counts})`;

export async function runAutoscaleBenchmark(args: string[]): Promise<number> {
  const n = Number(args[0] ?? 4);
  const files = Number(args[1] ?? 20);
  const rowsPerFile = Number(args[2] ?? 2000);
  const burst = Number(args[3] ?? 40);
  const paceMs = Number(args[4] ?? 200);
  const dir = mkdtempSync(join(tmpdir(), 'solstice-autoscale-'));
  try {
    writeInput(dir, files, rowsPerFile);
    const splits = (files * rowsPerFile) / 500;
    console.log(`${files * rowsPerFile} rows in ${splits} splits of 500, 200 µs of CPU per row in 'work', forked workers, ${n} at most`);
    const changing = ['--burst', String(burst), '--pace-ms', String(paceMs)];
    console.log(`changing load: ${burst} splits at once, then one every ${paceMs} ms`);
    const fixedOne = await run(dir, '1', changing);
    const fixedN = await run(dir, String(n), changing);
    const elastic = await run(dir, `1-${n}`, changing);
    console.log(describe('fixed 1', fixedOne));
    console.log(describe(`fixed ${n}`, fixedN));
    console.log(describe(`[1, ${n}]`, elastic));
    const wallVsN = elastic.wallSecs / fixedN.wallSecs - 1;
    const savedVsN = 1 - elastic.workerSecs / fixedN.workerSecs;
    console.log(`[1, ${n}] against fixed ${n}: wall ${(wallVsN * 100).toFixed(0)}% (goal <= 15%), worker-seconds ${(savedVsN * 100).toFixed(0)}% fewer (goal >= 30%)`);

    console.log('steady load: every split at once');
    const cores = availableParallelism();
    const steadyOne = await run(dir, '1', []);
    // The limit: as many workers as cores from the start.
    const steadyCores = await run(dir, String(cores), []);
    const steadyElastic = await run(dir, `1-${n}`, []);
    console.log(describe('fixed 1', steadyOne));
    console.log(describe(`fixed ${cores}`, steadyCores));
    console.log(describe(`[1, ${n}]`, steadyElastic));
    console.log(
      `[1, ${n}] against fixed 1: ${(steadyElastic.wallSecs / steadyOne.wallSecs).toFixed(2)}x the wall (goal <= 0.6x; ` +
        `fixed ${cores}, one worker per core from the start: ${(steadyCores.wallSecs / steadyOne.wallSecs).toFixed(2)}x)`,
    );
    const ratio = fixedN.workerSecs / elastic.workerSecs;
    console.log(`autoscale ratio=${ratio.toFixed(3)}`);
    return ratio;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
