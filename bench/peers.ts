/**
 * bench/peers: the two peer jobs, each run by DuckDB (2 threads),
 * Polars and solstice-node's CLI (in-process, threaded and forked workers),
 * every run in its own process; wall time and peak RSS of each, outputs
 * checked against DuckDB's.
 *
 * `npm run bench -- peers [orderRows=2000000] [flightRows=3000000] [rounds=1]`: with
 * more rounds, each engine's fastest run counts (for a busy machine).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ensureSampleOrders } from '../workflows/simple_etl/sample-orders.js';
import { ensureFlights } from './flights-data.js';
import { measureProcessTree, type TreeMeasurement } from './process-tree.js';

type Engine = 'duckdb' | 'polars' | 'in-process' | 'threaded' | 'forked';
const ENGINES: Engine[] = ['duckdb', 'polars', 'in-process', 'threaded', 'forked'];
const COLUMN: Record<Engine, string> = {
  duckdb: 'DuckDB (2 threads)', polars: 'Polars', 'in-process': 'solstice-node default', threaded: '`--workers threaded`', forked: '`--workers forked`',
};

interface PeerJob {
  name: 'orders' | 'flights';
  title: string;
  inputs: string[];
  workflow: string;
  /** The same job written with a row map instead, measured in-process beside the others. */
  rowMapWorkflow?: string;
  /** Rows and a checksum of an output folder, read by DuckDB. */
  digestQuery: (dir: string) => string;
}

interface Run extends TreeMeasurement {
  /** `row-map`: our CLI in-process on the job's `rowMapWorkflow`. */
  engine: Engine | 'row-map';
  digest: string;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const CLI = here('../bin/solstice-node.js');
const quoted = (path: string) => `'${path.replaceAll("'", "''")}'`;
const selfReported = (stdout: string) => Number((JSON.parse(stdout.trim().split('\n').pop()!) as { maxRssMiB: number }).maxRssMiB);

/** The workers per stage of our runs: the machine's two cores, as DuckDB's two threads. */
const PARALLELISM = 2;

async function runEngine(job: PeerJob, engine: Run['engine'], dir: string): Promise<TreeMeasurement> {
  const output = join(dir, 'out');
  if (engine === 'duckdb' || engine === 'polars') {
    return measureProcessTree(process.execPath, [here(`./peers-${engine}.js`), job.name, output, ...job.inputs], selfReported);
  }
  const args = [
    CLI, 'run', '--workflow', engine === 'row-map' ? job.rowMapWorkflow! : job.workflow, '--job-id', `peers-${job.name}`, ...job.inputs.flatMap((input) => ['--input', input]),
    '--output', output, '--state-backend', join(dir, 'state'), '--progress-interval', '0', '--parallelism', String(PARALLELISM),
  ];
  if (engine !== 'in-process' && engine !== 'row-map') args.push('--workers', engine);
  return measureProcessTree(process.execPath, args);
}

async function digestOf(connection: DuckDBConnection, query: string): Promise<string> {
  return JSON.stringify((await connection.runAndReadAll(query)).getRowsJson()[0]);
}

async function measureJob(job: PeerJob, connection: DuckDBConnection, rounds: number): Promise<Run[]> {
  const all: Run[] = [];
  const engines: Run['engine'][] = job.rowMapWorkflow ? [...ENGINES, 'row-map'] : ENGINES;
  for (let round = 0; round < rounds; round++) {
    for (const engine of engines) {
      const dir = mkdtempSync(join(tmpdir(), 'solstice-peers-'));
      try {
        const measured = await runEngine(job, engine, dir);
        const digest = await digestOf(connection, job.digestQuery(join(dir, 'out')));
        all.push({ ...measured, engine, digest });
        console.log(`  ${job.name} ${engine}: ${(measured.wallMs / 1000).toFixed(2)} s, ${measured.peakRssMiB.toFixed(0)} MiB; rows and checksums ${digest}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const expected = all[0]!.digest;
  for (const run of all) {
    if (run.digest !== expected) throw new Error(`${job.name}: ${run.engine} wrote ${run.digest}, DuckDB ${expected} (rows, checksums)`);
  }
  return engines.map((engine) => all.filter((r) => r.engine === engine).sort((a, b) => a.wallMs - b.wallMs)[0]!);
}



export async function runPeersBenchmark(args: string[]): Promise<number> {
  const orderRows = Number(args[0] ?? 2_000_000);
  const flightRows = Number(args[1] ?? 3_000_000);
  const rounds = Number(args[2] ?? 1);
  const dataDir = resolve('data', 'bench');
  const perFile = Math.ceil(orderRows / 4);
  // Four files of the same orders (the sample generator has one seed): the job does not care.
  const orders = [0, 1, 2, 3].map((k) => join(dataDir, `orders-${perFile}-${k + 1}of4.jsonl`));
  for (const path of orders) await ensureSampleOrders(path, perFile);
  const flights = join(dataDir, `flights-${flightRows}.parquet`);
  await ensureFlights(flights, flightRows);

  const jobs: PeerJob[] = [
    {
      name: 'orders',
      title: `${(4 * perFile).toLocaleString('en')} rows JSON lines (4 files) -> \`total = price*qty\` -> \`total > 100\` -> Parquet`,
      inputs: orders,
      workflow: 'simple_etl',
      rowMapWorkflow: here('./orders-map-workflow.js'),
      digestQuery: (dir) =>
        `SELECT count(*) AS rows, sum(round(total * 100))::BIGINT AS cents, sum(order_id)::BIGINT AS ids, sum(hash(customer) % 1000000)::BIGINT AS customers
         FROM read_parquet(${quoted(join(dir, '*.parquet'))})`,
    },
    {
      name: 'flights',
      title: `${flightRows.toLocaleString('en')} flights, one Parquet file (ZSTD, row groups of 272k rows) -> \`delay > 60\` -> add \`route\` -> JSON lines`,
      inputs: [flights],
      workflow: here('./flights-workflow.js'),
      digestQuery: (dir) =>
        `SELECT count(*) AS rows, sum(delay)::BIGINT AS delay, sum(flight_id)::BIGINT AS ids, count(DISTINCT route) AS routes, sum(hash(route) % 1000000)::BIGINT AS route_hash
         FROM read_json(${quoted(join(dir, '*.jsonl'))}, format = 'newline_delimited', columns = {flight_id: 'BIGINT', delay: 'BIGINT', route: 'VARCHAR'})`,
    },
  ];

  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  const results: { job: PeerJob; runs: Run[] }[] = [];
  try {
    for (const job of jobs) results.push({ job, runs: await measureJob(job, connection, rounds) });
  } finally {
    connection.closeSync();
    instance.closeSync();
  }

  const cell = (run: Run) => `${(run.wallMs / 1000).toFixed(2)} s, ${run.peakRssMiB.toFixed(0)} MiB`;
  console.log('');
  console.log(`| job | ${ENGINES.map((e) => COLUMN[e]).join(' | ')} |`);
  console.log(`|---|${ENGINES.map(() => '---').join('|')}|`);
  for (const { job, runs } of results) console.log(`| ${job.title} | ${runs.filter((run) => run.engine !== 'row-map').map(cell).join(' | ')} |`);
  console.log('');
  console.log(`wall from spawn to exit${rounds > 1 ? `, fastest of ${rounds} runs` : ''}; peak RSS of the process and its children; our runs: --parallelism ${PARALLELISM}`);
  let ratio = Infinity;
  for (const { job, runs } of results) {
    const by = (engine: Engine) => runs.find((r) => r.engine === engine)!;
    const duck = by('duckdb');
    const ours = by('in-process');
    ratio = Math.min(ratio, duck.wallMs / ours.wallMs);
    const rowMap = runs.find((r) => r.engine === 'row-map');
    if (rowMap) console.log(`${job.name} with a MapOperator row function ({ ...order, total }) instead, in-process: ${cell(rowMap)}, ${(rowMap.wallMs / duck.wallMs).toFixed(1)}x DuckDB's wall`);
    console.log(
      `${job.name}: default ${(ours.wallMs / duck.wallMs).toFixed(1)}x DuckDB's wall (goal <= 4x), ` +
        `threaded ${(by('threaded').wallMs / ours.wallMs).toFixed(2)}x and forked ${(by('forked').wallMs / ours.wallMs).toFixed(2)}x default's (goal <= 0.8x), ` +
        `peak RSS ${(ours.peakRssMiB / duck.peakRssMiB).toFixed(1)}x DuckDB's (goal <= 2x)`,
    );
  }
  console.log(`peers ratio=${ratio.toFixed(3)}`);
  return ratio;
}
