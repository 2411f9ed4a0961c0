/**
 * The flights job of bench/peers (bench/flights-workflow.ts), as a user runs
 * it through the CLI: Parquet in, `delay > 60`, `route` added, JSON lines
 * out. Every placement mode writes exactly the rows the generator's formula
 * says, each once.
 */
import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { runCli } from './support/cli.js';
import { readJsonLinesDir, tempDir } from './support/files.js';

const WORKFLOW = fileURLToPath(new URL('../bench/flights-workflow.js', import.meta.url));
const AIRPORTS = ['ATL', 'DEN', 'SLC', 'PBI', 'Zürich'];
const CARRIERS = ['DL', 'NK', 'G4'];

/** Flight `i`: a deterministic delay between -30 and 119 minutes, so about a third are over an hour. */
function flight(i: number) {
  return {
    flight_id: i, carrier: CARRIERS[i % 3]!, origin: AIRPORTS[i % 5]!, dest: AIRPORTS[(i * 7 + 1) % 5]!,
    dep_time: 1_704_067_200_000 + i * 60_000, delay: ((i * 37) % 150) - 30,
  };
}

test('the flights job writes every flight delayed over an hour once, with its route, in-process, threaded and forked', async (t) => {
  const dir = await tempDir('solstice-flights-');
  const count = 40_000;
  const flights = Array.from({ length: count }, (_, i) => flight(i));
  const input = join(dir, 'flights.parquet');
  await writeFile(input, new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: 'flight_id', data: BigInt64Array.from(flights, (f) => BigInt(f.flight_id)), type: 'INT64' },
      { name: 'carrier', data: flights.map((f) => f.carrier), type: 'STRING' },
      { name: 'origin', data: flights.map((f) => f.origin), type: 'STRING' },
      { name: 'dest', data: flights.map((f) => f.dest), type: 'STRING' },
      { name: 'dep_time', data: BigInt64Array.from(flights, (f) => BigInt(f.dep_time)), type: 'INT64' },
      { name: 'delay', data: BigInt64Array.from(flights, (f) => BigInt(f.delay)), type: 'INT64' },
    ],
    rowGroupSize: 15_000,
  })));
  const expected = flights.filter((f) => f.delay > 60).map((f) => ({ ...f, route: `${f.origin}-${f.dest}` }));
  t.true(expected.length > count / 5, `${expected.length} delayed flights`);
  for (const mode of ['in-process', 'threaded', 'forked']) {
    const output = join(dir, `out-${mode}`);
    const result = await runCli(['run', '--workflow', WORKFLOW, '--job-id', `flights-${mode}`, '--input', input, '--output', output,
      '--workers', mode, '--progress-interval', '0'], { cwd: dir });
    t.is(result.code, 0, result.stderr);
    const written = (await readJsonLinesDir(output)).sort((a, b) => (a.flight_id as number) - (b.flight_id as number));
    t.deepEqual(written, expected, mode);
  }
});
