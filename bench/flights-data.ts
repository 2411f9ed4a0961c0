import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

/** Rows per row group: 3M rows make 11 groups of about 272k, as in the real flights file the benchmark was set up with. */
const ROW_GROUP_ROWS = 272_728;

const CARRIERS = ['AA', 'AS', 'B6', 'DL', 'F9', 'G4', 'HA', 'MQ', 'NK', 'OO', 'UA', 'WN', 'YX', '9E'];
const AIRPORTS = [
  'ATL', 'DFW', 'DEN', 'ORD', 'LAX', 'JFK', 'LAS', 'MCO', 'MIA', 'CLT', 'SEA', 'PHX', 'EWR', 'SFO', 'IAH', 'BOS', 'FLL',
  'MSP', 'LGA', 'DTW', 'PHL', 'SLC', 'BWI', 'DCA', 'SAN', 'IAD', 'TPA', 'BNA', 'AUS', 'MDW', 'HNL', 'DAL', 'PDX', 'STL',
  'RDU', 'HOU', 'SMF', 'MSY', 'SJC', 'SJU', 'MCI', 'OAK', 'SAT', 'RSW', 'CLE', 'IND', 'PIT', 'CVG', 'CMH', 'PBI', 'JAX',
  'OGG', 'ONT', 'BDL', 'ANC', 'BUR', 'MKE', 'OMA', 'ABQ', 'BOI', 'RIC', 'TUS', 'ELP', 'OKC', 'BUF', 'MEM', 'SDF', 'ORF',
];

/** A uniform number in [0, 1) from row `i` and a salt: DuckDB's hash, so the file depends only on the seed. */
const uniform = (salt: number) => `((hash(i, ${salt}) % 1000003)::DOUBLE / 1000003)`;

/**
 * The SELECT of a flights-like table of `rows` rows: flight_id int64, carrier,
 * origin and dest strings (airports skewed towards the big hubs), dep_time
 * timestamp (scheduled on 5-minute slots, 30 departures per slot, through 2024), delay int64 minutes: 55% early
 * or on time (-15..4), 30% 5..59, 15% more than 60 with an exponential tail.
 */
export function flightsQuery(rows: number, seed: number): string {
  const list = (values: string[]) => `[${values.map((v) => `'${v}'`).join(', ')}]`;
  const pick = (values: string[], salt: number, skew: number) =>
    `${list(values)}[1 + floor(pow(${uniform(seed + salt)}, ${skew}) * ${values.length})::INTEGER]`;
  return `SELECT
      i::BIGINT AS flight_id,
      ${pick(CARRIERS, 1, 1.5)} AS carrier,
      ${pick(AIRPORTS, 2, 2)} AS origin,
      ${pick(AIRPORTS, 3, 2)} AS dest,
      TIMESTAMP '2024-01-01 05:00:00' + to_minutes((i // 30) * 5 + floor(${uniform(seed + 4)} * 3)::BIGINT * 5) AS dep_time,
      (CASE
        WHEN ${uniform(seed + 5)} < 0.55 THEN -15 + floor(${uniform(seed + 6)} * 20)
        WHEN ${uniform(seed + 5)} < 0.85 THEN 5 + floor(${uniform(seed + 6)} * 55)
        ELSE 61 + floor(-ln(1 - ${uniform(seed + 6)}) * 60)
      END)::BIGINT AS delay
    FROM range(${rows}) t(i)`;
}

/**
 * Writes `data/bench/flights-<rows>.parquet` (ZSTD, row groups of about 272k
 * rows) with DuckDB the first time it is asked for. One thread, so the row
 * groups are exactly as asked.
 */
export async function ensureFlights(path: string, rows: number, seed = 7): Promise<void> {
  if (existsSync(path)) return;
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  try {
    await connection.run(`COPY (${flightsQuery(rows, seed)} ORDER BY flight_id) TO '${temporary}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROW_GROUP_ROWS})`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  await rename(temporary, path);
}
