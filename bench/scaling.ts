/**
 * bench/scaling: a CPU-bound map stage on 1 and on 2 forked workers (2 cores
 * here), same input, separate processes, two rounds in opposite order; prints
 * rows/s for both and the speed-up.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { idRowsInput } from './id-rows-input.js';
import { measureInOwnProcess } from './measured-process.js';

interface Measurement {
  workers: number;
  rows: number;
  ms: number;
}

const WORKER = fileURLToPath(new URL('./scaling-worker.js', import.meta.url));

export async function runScalingBenchmark(args: string[]): Promise<number> {
  const rows = Number(args[0] ?? 100_000);
  const input = await idRowsInput(rows);
  const measure = (workers: number) =>
    measureInOwnProcess<Measurement>(WORKER, (dir) => [String(workers), input, join(dir, 'out'), join(dir, 'state')]);
  const runs = [measure(1), measure(2), measure(2), measure(1)];
  const best = (workers: number) => runs.filter((r) => r.workers === workers).sort((a, b) => a.ms - b.ms)[0]!;
  const rate = (m: Measurement) => Math.round((m.rows / m.ms) * 1000);
  const one = best(1);
  const two = best(2);
  console.log(`input: ${rows} rows, CPU-bound map on forked workers; best of 2 runs each`);
  console.log(`1 worker:  ${rate(one)} rows/s (${(one.ms / 1000).toFixed(1)} s)`);
  console.log(`2 workers: ${rate(two)} rows/s (${(two.ms / 1000).toFixed(1)} s)`);
  const ratio = rate(two) / rate(one);
  console.log(`scaling ratio=${ratio.toFixed(3)}`);
  return ratio;
}
