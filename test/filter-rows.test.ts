/**
 * A FilterOperator over Arrow data (a Parquet source, a batch function)
 * looks at each row through a read-only view and keeps the rows by index:
 * what a user relies on is that the kept rows are exactly the right ones, as
 * plain objects downstream, and that a predicate that writes to its row is
 * told so instead of changing the data.
 */
import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import {
  FileSource, FilterOperator, Job, MapOperator, OperatorError, RowFunctionError, Stage, type Row,
} from '../lib/index.js';
import { isolatedState, tempDir } from './support/files.js';
import { CollectSink, collected } from './support/collect-sink.js';


const cityOf = (id: number) => ['Oslo', 'Lima', 'Kyiv', 'Hué'][id % 4]!;

async function citiesFile(dir: string, rows: number): Promise<string> {
  const ids = Array.from({ length: rows }, (_, id) => id);
  const path = join(dir, 'cities.parquet');
  await writeFile(path, new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: 'id', data: Int32Array.from(ids), type: 'INT32' },
      { name: 'city', data: ids.map(cityOf), type: 'STRING' },
      { name: 'score', data: Float64Array.from(ids, (id) => id / 10), type: 'DOUBLE' },
    ],
    rowGroupSize: 10_000,
  })));
  return path;
}

test('a filter over Parquet keeps exactly the rows its predicate accepts, which reach the next stage as plain objects', async (t) => {
  const dir = await tempDir('solstice-filter-');
  const rows = 30_000;
  const path = await citiesFile(dir, rows);
  const job = new Job({ jobId: 'filter-parquet' });
  job.addStage(new Stage('source', FileSource, { paths: path, batchRows: 4096 }, 1));
  job.addStage(new Stage('keep', FilterOperator, { fn: (row: Row) => row.city === 'Hué' && (row.score as number) >= 100 }, 1), ['source']);
  // A map that writes to its row: rows after a filter are its own plain objects.
  job.addStage(new Stage('mark', MapOperator, { fn: (row: Row) => Object.assign(row, { marked: true }) }, 1), ['keep']);
  job.addStage(new Stage('sink', CollectSink, { name: 'parquet' }, 1), ['mark']);
  const summary = await job.createRunner(isolatedState()).run();
  // The generator's formula: ids 3, 7, 11, ... (city Hué) with id / 10 >= 100.
  const expected = Array.from({ length: rows }, (_, id) => id).filter((id) => id % 4 === 3 && id >= 1000)
    .map((id) => ({ id, city: 'Hué', score: id / 10, marked: true }));
  t.deepEqual(collected.get('parquet')!.sort((a, b) => (a.id as number) - (b.id as number)), expected);
  t.like(summary.stages.find((stage) => stage.stage === 'keep'), { rowsIn: rows, rowsOut: expected.length });
});

test('a predicate that writes to its row fails with a RowFunctionError naming the row, not with changed data', async (t) => {
  const dir = await tempDir('solstice-filter-write-');
  const path = await citiesFile(dir, 100);
  const job = new Job({ jobId: 'filter-writes' });
  job.addStage(new Stage('source', FileSource, { paths: path }, 1));
  job.addStage(new Stage('keep', FilterOperator, {
    fn: (row: Row) => {
      row.seen = true;
      return true;
    },
  }, 1), ['source']);
  job.addStage(new Stage('sink', CollectSink, { name: 'writes' }, 1), ['keep']);
  const error = await t.throwsAsync(job.createRunner(isolatedState()).run(), { instanceOf: OperatorError });
  const cause = error!.cause as RowFunctionError;
  t.true(cause instanceof RowFunctionError, String(cause));
  t.regex(cause.message, /^row 1 \(\{"id":0,"city":"Oslo","score":0\}\)/);
  t.regex(String((cause.cause as Error).message), /not extensible|read only|only a getter/);
});
