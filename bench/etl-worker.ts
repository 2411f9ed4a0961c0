/**
 * One measured run for bench/etl, in its own process so that timings and peak
 * memory (maxRSS) are its own: `node etl-worker.js framework|baseline INPUT OUTPUT`.
 * Prints one JSON line: rows out, milliseconds, peak RSS in MiB.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rowsToTable, type Row } from '../lib/arrow-rows.js';
import { readJsonLines } from '../formats/jsonl-format.js';
import { encodeParquet } from '../formats/parquet-format.js';
import { expandPaths } from '../operators/source/file-source.js';
import { createJob, orderTotal } from '../workflows/simple_etl/index.js';

const SPLIT_BYTES = 16 * 1024 * 1024;

/** simple_etl's work written by hand: read ranges, compute totals, keep those over 100, write Parquet. */
async function baseline(input: string, output: string): Promise<number> {
  await mkdir(output, { recursive: true });
  const { stat } = await import('node:fs/promises');
  let written = 0;
  for (const path of await expandPaths(input)) {
    const size = (await stat(path)).size;
    for (let start = 0, part = 0; start < size; start += SPLIT_BYTES, part++) {
      const rows = await readJsonLines({ path, start, end: Math.min(size, start + SPLIT_BYTES) });
      const kept: Row[] = [];
      for (const row of rows) {
        const out = { ...row, total: orderTotal(row) };
        if (out.total > 100) kept.push(out);
      }
      await writeFile(join(output, `part-${part}.parquet`), encodeParquet(rowsToTable(kept)));
      written += kept.length;
    }
  }
  return written;
}

async function framework(input: string, output: string): Promise<number> {
  const job = await createJob('bench-etl', { input, output, parallelism: 1 });
  const summary = await job.createRunner({ stateBackend: join(output, '_state'), restore: 'none' }).run();
  return summary.stages.find((s) => s.stage === 'sink')!.rowsIn;
}

const [mode, input, output] = process.argv.slice(2) as [string, string, string];
const started = performance.now();
const rows = mode === 'framework' ? await framework(input, output) : await baseline(input, output);
const ms = performance.now() - started;
process.stdout.write(`${JSON.stringify({ mode, rows, ms, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
