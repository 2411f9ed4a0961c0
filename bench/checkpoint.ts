/**
 * bench/checkpoint: simple_etl (parallelism 1) with a checkpoint every 10 s
 * against the same job with none but the final one, in separate processes,
 * two rounds in opposite order; prints rows/s for both and their ratio.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSampleOrders } from '../workflows/simple_etl/sample-orders.js';
import { measureInOwnProcess } from './measured-process.js';

interface Measurement {
  intervalSecs: number;
  rows: number;
  ms: number;
  checkpoints: number;
}

const WORKER = fileURLToPath(new URL('./checkpoint-worker.js', import.meta.url));

function measure(intervalSecs: number, input: string): Measurement {
  return measureInOwnProcess<Measurement>(WORKER, (dir) => [String(intervalSecs), input, join(dir, 'out'), join(dir, 'state')]);
}

export async function runCheckpointBenchmark(args: string[]): Promise<number> {
  const rows = Number(args[0] ?? 10_000_000);
  const intervalSecs = Number(args[1] ?? 10);
  const input = resolve('data', 'bench', `orders-${rows}.jsonl`);
  await ensureSampleOrders(input, rows);
  const runs: Measurement[] = [];
  // The order alternates too: a run can be slowed by the write-back of the previous run's output.
  runs.push(measure(0, input), measure(intervalSecs, input), measure(intervalSecs, input), measure(0, input));
  const best = (secs: number) => runs.filter((r) => r.intervalSecs === secs).sort((a, b) => a.ms - b.ms)[0]!;
  const without = best(0);
  const withCheckpoints = best(intervalSecs);
  const rate = (m: Measurement) => Math.round((m.rows / m.ms) * 1000);
  console.log(`input: ${rows} rows; best of 2 runs each`);
  console.log(`without interval checkpoints: ${rate(without)} rows/s (${(without.ms / 1000).toFixed(1)} s, ${without.checkpoints} checkpoint)`);
  console.log(`checkpoint every ${intervalSecs} s:      ${rate(withCheckpoints)} rows/s (${(withCheckpoints.ms / 1000).toFixed(1)} s, ${withCheckpoints.checkpoints} checkpoints)`);
  const ratio = rate(withCheckpoints) / rate(without);
  console.log(`checkpoint ratio=${ratio.toFixed(3)}`);
  return ratio;
}
