/**
 * bench/etl: simple_etl with parallelism 1 against the limit, a plain
 * single-process loop over the libraries with no project code (node:fs,
 * JSON.parse, the same two functions, apache-arrow, parquet-wasm), on 1M
 * rows; then the framework's peak memory on 1M and 10M rows.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSampleOrders } from '../workflows/simple_etl/sample-orders.js';
import { measureInOwnProcess } from './measured-process.js';

interface Measurement {
  mode: string;
  rows: number;
  ms: number;
  maxRssMiB: number;
}

const WORKER = fileURLToPath(new URL('./etl-worker.js', import.meta.url));

function measure(mode: 'framework' | 'baseline', input: string): Measurement {
  return measureInOwnProcess<Measurement>(WORKER, (dir) => [mode, input, dir]);
}

export async function runEtlBenchmark(args: string[]): Promise<number> {
  const rows = Number(args[0] ?? 1_000_000);
  const bigRows = Number(args[1] ?? 10_000_000);
  const dataDir = resolve('data', 'bench');
  const input = join(dataDir, `orders-${rows}.jsonl`);
  await ensureSampleOrders(input, rows);

  const runs: Measurement[] = [];
  for (let round = 0; round < 3; round++) runs.push(measure('baseline', input), measure('framework', input));
  const best = (mode: string) => runs.filter((r) => r.mode === mode).sort((a, b) => a.ms - b.ms)[0]!;
  const base = best('baseline');
  const fw = best('framework');
  if (base.rows !== fw.rows) throw new Error(`framework wrote ${fw.rows} rows, the baseline ${base.rows}`);
  const rate = (m: Measurement) => Math.round((rows / m.ms) * 1000);
  console.log(`input: ${rows} rows; output: ${fw.rows} rows; best of 3 runs each`);
  console.log(`baseline (plain loop, no project code): ${rate(base)} rows/s (${(base.ms / 1000).toFixed(2)} s)`);
  console.log(`framework (parallelism 1):             ${rate(fw)} rows/s (${(fw.ms / 1000).toFixed(2)} s)`);

  const bigInput = join(dataDir, `orders-${bigRows}.jsonl`);
  await ensureSampleOrders(bigInput, bigRows);
  const small = measure('framework', input);
  const big = measure('framework', bigInput);
  console.log(`framework peak RSS: ${small.maxRssMiB.toFixed(0)} MiB for ${rows} rows, ${big.maxRssMiB.toFixed(0)} MiB for ${bigRows} rows ` +
    `(x${(big.maxRssMiB / small.maxRssMiB).toFixed(2)} memory for x${(bigRows / rows).toFixed(0)} input)`);
  const ratio = rate(fw) / rate(base);
  console.log(`etl ratio=${ratio.toFixed(3)}`);
  return ratio;
}
