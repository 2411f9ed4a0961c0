/**
 * One Polars run of bench/peers, in its own process (Polars' thread pool is
 * as large as the machine: 2 cores here):
 * `node peers-polars.js orders OUTPUT INPUT...` (JSON lines -> total -> total > 100 -> Parquet) or
 * `node peers-polars.js flights OUTPUT INPUT` (Parquet -> delay > 60 -> route -> JSON lines).
 * OUTPUT is a folder; Polars writes one file in it. Prints one JSON line: its peak RSS in MiB.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pl from 'nodejs-polars';

const [job, output, ...inputs] = process.argv.slice(2) as [string, string, ...string[]];
mkdirSync(output, { recursive: true });
if (job === 'orders') {
  // Rounded to cents as Math.round(x * 100) / 100 and DuckDB's round(x, 2) do.
  const total = pl.col('price').mul(pl.col('qty')).mul(100).round(0).div(100);
  (await pl.concat(inputs.map((path) => pl.scanJson(path)))
    .withColumns(total.alias('total'))
    .filter(pl.col('total').gt(100))
    .collect())
    .writeParquet(join(output, 'orders.parquet'));
} else {
  (await pl.scanParquet(inputs[0]!)
    .filter(pl.col('delay').gt(60))
    .withColumns(pl.concatString([pl.col('origin'), pl.col('dest')], '-').alias('route'))
    .collect())
    .writeJSON(join(output, 'flights.jsonl'), { format: 'lines' });
}
process.stdout.write(`${JSON.stringify({ maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
