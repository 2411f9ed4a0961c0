/**
 * One DuckDB run of bench/peers, in its own process, 2 threads:
 * `node peers-duckdb.js orders OUTPUT INPUT...` (JSON lines -> total -> total > 100 -> Parquet) or
 * `node peers-duckdb.js flights OUTPUT INPUT` (Parquet -> delay > 60 -> route -> JSON lines).
 * OUTPUT is a folder; DuckDB writes one file in it. Prints one JSON line: its peak RSS in MiB.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const [job, output, ...inputs] = process.argv.slice(2) as [string, string, ...string[]];
const quoted = (path: string) => `'${path.replaceAll("'", "''")}'`;
mkdirSync(output, { recursive: true });
const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
const connection = await instance.connect();
if (job === 'orders') {
  await connection.run(`COPY (
      SELECT *, round(price * qty, 2) AS total FROM read_json([${inputs.map(quoted).join(', ')}], format = 'newline_delimited')
      WHERE round(price * qty, 2) > 100
    ) TO ${quoted(join(output, 'orders.parquet'))} (FORMAT parquet)`);
} else {
  await connection.run(`COPY (
      SELECT *, origin || '-' || dest AS route FROM read_parquet(${quoted(inputs[0]!)}) WHERE delay > 60
    ) TO ${quoted(join(output, 'flights.jsonl'))} (FORMAT json)`);
}
connection.closeSync();
instance.closeSync();
process.stdout.write(`${JSON.stringify({ maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
