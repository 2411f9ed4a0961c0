/**
 * A keyed shuffle of Arrow data (a Parquet source): the key function reads
 * rows through a view, the keys become a column, and each partition is the
 * same table's rows at its indexes, taken on Arrow's buffers when it crosses
 * to another process. What a user sees: every key's rows meet one worker and
 * the per-key results are exact, in-process and with forked workers.
 */
import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { runCli } from './support/cli.js';
import { readJsonLinesDir, tempDir } from './support/files.js';

const WORKFLOW = fileURLToPath(new URL('./fixtures/keyed_parquet_workflow.js', import.meta.url));
const CITIES = ['Oslo', 'Lima', 'Hué', 'Kyiv', 'Accra', 'Quito', 'Perth'];

test('per-key totals over Parquet are exact, in-process and with forked workers', async (t) => {
  const dir = await tempDir('solstice-keyed-arrow-');
  const count = 20_000;
  const ids = Array.from({ length: count }, (_, i) => i);
  const cityOf = (i: number) => CITIES[(i * 5) % 7]!;
  const amountOf = (i: number) => (i % 13) * 2.5;
  const input = join(dir, 'sales.parquet');
  await writeFile(input, new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: 'id', data: Int32Array.from(ids), type: 'INT32' },
      { name: 'city', data: ids.map(cityOf), type: 'STRING' },
      { name: 'amount', data: Float64Array.from(ids, amountOf), type: 'DOUBLE' },
    ],
    rowGroupSize: 7000,
  })));
  // The generator's formula, per city.
  const expected = CITIES.map((city) => {
    const members = ids.filter((i) => cityOf(i) === city);
    return { _key: city, n: members.length, sum: members.reduce((total, i) => total + amountOf(i), 0) };
  }).sort((a, b) => a._key.localeCompare(b._key));
  for (const mode of ['in-process', 'forked']) {
    const output = join(dir, `out-${mode}`);
    const result = await runCli(['run', '--workflow', WORKFLOW, '--job-id', `keyed-${mode}`, '--input', input, '--output', output,
      '--workers', mode, '--progress-interval', '0'], { cwd: dir });
    t.is(result.code, 0, result.stderr);
    const totals = (await readJsonLinesDir(output)).sort((a, b) => String(a._key).localeCompare(String(b._key)));
    t.deepEqual(totals, expected, mode);
  }
});
