import test from 'ava';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { FileSource, InputFormatError, Job, OperatorError, SinkOperator, Stage, type FileSourceConfig, type Split, type SplitPayload } from '../lib/index.js';
import { parquetRowGroupRows, tempDir, isolatedState } from './support/files.js';

/** What a sink saw: each payload's row count and how many times each id arrived. */
interface Seen {
  payloadRows: number[];
  idCounts: Uint8Array;
  /** Ids whose other columns are not what the generator wrote. */
  wrong: number[];
}

const execFileAsync = promisify(execFile);

const seenBy = new Map<string, Seen>();

/** Records every payload it gets and checks each row against the generator's formula. */
class CheckingSink extends SinkOperator<{ name: string }> {
  processSplit(_split: Split, payload?: SplitPayload) {
    const seen = seenBy.get(this.config.name)!;
    const table = payload!.toTable();
    seen.payloadRows.push(table.numRows);
    const id = table.getChild('id')!;
    const score = table.getChild('score')!;
    const name = table.getChild('name')!;
    for (let i = 0; i < table.numRows; i++) {
      const n = Number(id.get(i));
      seen.idCounts[n]!++;
      if (score.get(i) !== scoreOf(n) || name.get(i) !== nameOf(n)) seen.wrong.push(n);
    }
    return null;
  }
}

const scoreOf = (i: number) => (i * 7919) % 1000;
const nameOf = (i: number) => `name-${i % 977}`;

async function readThrough(name: string, rows: number, source: FileSourceConfig, workers = 2) {
  seenBy.set(name, { payloadRows: [], idCounts: new Uint8Array(rows), wrong: [] });
  const job = new Job({ jobId: name });
  job.addStage(new Stage('source', FileSource, source, workers));
  job.addStage(new Stage('check', CheckingSink, { name }, 2), ['source']);
  const summary = await job.createRunner(isolatedState()).run();
  return { summary, seen: seenBy.get(name)! };
}

function everyRowOnce(t: import('ava').ExecutionContext, seen: Seen, rows: number) {
  const notOnce = seen.idCounts.findIndex((count) => count !== 1);
  t.is(notOnce, -1, notOnce === -1 ? '' : `id ${notOnce} arrived ${seen.idCounts[notOnce]} times`);
  t.deepEqual(seen.wrong.slice(0, 5), [], 'every row holds the values the generator wrote');
  t.is(seen.payloadRows.reduce((a, b) => a + b, 0), rows);
}

function parquetOf(rows: number, rowGroupSize: number, offsetIndex: boolean): Uint8Array {
  const ids = Array.from({ length: rows }, (_, i) => i);
  return new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: 'id', data: Int32Array.from(ids), type: 'INT32', offsetIndex },
      { name: 'score', data: Int32Array.from(ids, scoreOf), type: 'INT32', offsetIndex },
      { name: 'name', data: ids.map(nameOf), type: 'STRING', offsetIndex },
    ],
    rowGroupSize,
  }));
}

const MILLION = 1_000_000;
const DEFAULT_BATCH_ROWS = 65_536;

test('a Parquet row group of a million rows is read as splits of at most batchRows rows (default 65536), each row once', async (t) => {
  const path = join(await tempDir(), 'one-group.parquet');
  await writeFile(path, parquetOf(MILLION, MILLION, true));
  t.deepEqual(await parquetRowGroupRows(path), [MILLION], 'the writer made one row group');
  const { summary, seen } = await readThrough('parquet-one-group', MILLION, { paths: path });
  everyRowOnce(t, seen, MILLION);
  t.true(Math.max(...seen.payloadRows) <= DEFAULT_BATCH_ROWS, `largest payload: ${Math.max(...seen.payloadRows)} rows`);
  t.true(summary.stages[0]!.splitsPlanned! >= MILLION / DEFAULT_BATCH_ROWS);
  t.true(seen.payloadRows.length >= MILLION / DEFAULT_BATCH_ROWS, 'the sink stage gets many splits, not one');
});

test('a Parquet row group without an offset index is cut into row ranges too, each row once', async (t) => {
  const path = join(await tempDir(), 'no-index.parquet');
  const rows = 300_000;
  await writeFile(path, parquetOf(rows, rows, false));
  const batchRows = 20_000;
  const { summary, seen } = await readThrough('parquet-no-index', rows, { paths: path, batchRows });
  everyRowOnce(t, seen, rows);
  t.true(Math.max(...seen.payloadRows) <= batchRows);
  // Planned as row ranges of batchRows; a slow machine may cut a long-running one in two as well (docs/checkpointing.md).
  t.true(summary.stages[0]!.splitsPlanned! >= rows / batchRows, `${summary.stages[0]!.splitsPlanned} splits`);
});

test('small Parquet row groups are read together up to batchRows rows', async (t) => {
  const path = join(await tempDir(), 'small-groups.parquet');
  const rows = 100_000;
  await writeFile(path, parquetOf(rows, 1000, true));
  t.is((await parquetRowGroupRows(path)).length, 100);
  const { summary, seen } = await readThrough('parquet-small-groups', rows, { paths: path, batchRows: 4096 });
  everyRowOnce(t, seen, rows);
  // Four groups of 1000 rows fit in 4096; a fifth would not.
  t.is(summary.stages[0]!.splitsPlanned, 25);
  t.deepEqual([...new Set(seen.payloadRows)], [4000]);
});

test('a JSON lines file is read as byte ranges of about batchRows lines, each line once', async (t) => {
  const path = join(await tempDir(), 'rows.jsonl');
  const rows = 200_000;
  let text = '';
  // Lines of uneven length, so that a range's row count is an estimate.
  for (let i = 0; i < rows; i++) text += `${JSON.stringify({ id: i, score: scoreOf(i), name: nameOf(i), pad: 'x'.repeat(i % 50) })}\n`;
  await writeFile(path, text);
  const batchRows = 10_000;
  const { summary, seen } = await readThrough('jsonl-batches', rows, { paths: path, batchRows });
  everyRowOnce(t, seen, rows);
  t.true(Math.max(...seen.payloadRows) <= 2 * batchRows, `largest payload: ${Math.max(...seen.payloadRows)} rows`);
  t.true(summary.stages[0]!.splitsPlanned! >= rows / (2 * batchRows), `${summary.stages[0]!.splitsPlanned} splits`);
});

test('a CSV file is read as byte ranges of about batchRows records, each record once', async (t) => {
  const path = join(await tempDir(), 'rows.csv');
  const rows = 200_000;
  const lines = ['id,score,name,pad'];
  for (let i = 0; i < rows; i++) lines.push(`${i},${scoreOf(i)},"${nameOf(i)}",${'y'.repeat(i % 40)}`);
  await writeFile(path, lines.join('\n') + '\n');
  const batchRows = 10_000;
  const { summary, seen } = await readThrough('csv-batches', rows, { paths: path, batchRows });
  everyRowOnce(t, seen, rows);
  t.true(Math.max(...seen.payloadRows) <= 2 * batchRows, `largest payload: ${Math.max(...seen.payloadRows)} rows`);
  t.true(summary.stages[0]!.splitsPlanned! >= rows / (2 * batchRows), `${summary.stages[0]!.splitsPlanned} splits`);
});

test('splitBytes still bounds a split when it is the smaller bound', async (t) => {
  const path = join(await tempDir(), 'bytes.jsonl');
  const rows = 20_000;
  let text = '';
  for (let i = 0; i < rows; i++) text += `${JSON.stringify({ id: i, score: scoreOf(i), name: nameOf(i) })}\n`;
  await writeFile(path, text);
  const { summary, seen } = await readThrough('jsonl-bytes', rows, { paths: path, splitBytes: 64 * 1024 });
  everyRowOnce(t, seen, rows);
  t.is(summary.stages[0]!.splitsPlanned, Math.ceil(Buffer.byteLength(text) / (64 * 1024)));
});

test('batchRows must be a positive integer', async (t) => {
  const path = join(await tempDir(), 'one.jsonl');
  await writeFile(path, '{"id":0}\n');
  for (const batchRows of [0, -5, 1.5]) {
    await t.throwsAsync(readThrough(`bad-batch-rows-${batchRows}`, 1, { paths: path, batchRows }), { name: 'OperatorConfigError', message: /batchRows must be a positive integer/ });
  }
});

const PEAK_MEMORY_PROBE = fileURLToPath(new URL('./fixtures/parquet_peak_memory.js', import.meta.url));

/** Rows read and peak resident memory of a job over `path` in a process of its own. */
async function peakMemoryOfJob(path: string): Promise<{ rows: number; peakKiB: number }> {
  const { stdout } = await execFileAsync(process.execPath, [PEAK_MEMORY_PROBE, path], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { rows: number; peakKiB: number };
}

function wideParquetOf(rows: number): Uint8Array {
  const ids = Array.from({ length: rows }, (_, i) => i);
  return new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: 'id', data: Int32Array.from(ids), type: 'INT32' },
      { name: 'score', data: Float64Array.from(ids, (i) => i / 8), type: 'DOUBLE' },
      { name: 'label', data: ids.map((i) => `label ${i % 10_007} of the row`), type: 'STRING' },
    ],
    rowGroupSize: rows,
  }));
}

test('peak memory follows the batch, not the row group: 4M rows in one group take less than twice the memory of 500k', async (t) => {
  const dir = await tempDir();
  const small = join(dir, 'small.parquet');
  const large = join(dir, 'large.parquet');
  await writeFile(small, wideParquetOf(500_000));
  await writeFile(large, wideParquetOf(4_000_000));
  t.deepEqual(await parquetRowGroupRows(large), [4_000_000], 'one row group');
  const smallRun = await peakMemoryOfJob(small);
  const largeRun = await peakMemoryOfJob(large);
  t.is(smallRun.rows, 500_000);
  t.is(largeRun.rows, 4_000_000);
  const mib = (kib: number) => Math.round(kib / 1024);
  t.log(`peak RSS: 500k rows ${mib(smallRun.peakKiB)} MiB, 4M rows ${mib(largeRun.peakKiB)} MiB`);
  // Read whole, 4M rows as row objects take several times the memory of 500k; in batches both stay near the process's base.
  t.true(largeRun.peakKiB < 2 * smallRun.peakKiB, `4M rows: ${mib(largeRun.peakKiB)} MiB, 500k rows: ${mib(smallRun.peakKiB)} MiB`);
});

/** A FileSource whose file is replaced by `replacement` once its splits are planned: a file changed between planning and reading. */
class FileReplacedAfterPlanning extends FileSource {
  override async planSplits() {
    const plan = await super.planSplits();
    const { replaceWith } = this.config as { replaceWith?: { path: string; bytes: Uint8Array } };
    await writeFile(replaceWith!.path, replaceWith!.bytes);
    return plan;
  }
}

for (const offsetIndex of [true, false]) {
  test(`a Parquet row group ${offsetIndex ? 'with' : 'without'} an offset index that no longer holds the planned rows fails the run, naming the file and the rows`, async (t) => {
    const path = join(await tempDir(), 'shrinking.parquet');
    await writeFile(path, parquetOf(300_000, 300_000, offsetIndex));
    const name = `parquet-shrunk-${offsetIndex}`;
    seenBy.set(name, { payloadRows: [], idCounts: new Uint8Array(300_000), wrong: [] });
    const job = new Job({ jobId: name });
    const source = { paths: path, batchRows: 50_000, replaceWith: { path, bytes: parquetOf(120_000, 120_000, offsetIndex) } };
    job.addStage(new Stage('source', FileReplacedAfterPlanning, source, 1));
    job.addStage(new Stage('check', CheckingSink, { name }, 1), ['source']);
    const error = await t.throwsAsync(job.createRunner(isolatedState()).run());
    const cause = error instanceof OperatorError ? error.cause : error;
    t.true(cause instanceof InputFormatError, String(cause));
    t.is((cause as InputFormatError).file, path);
    t.regex((cause as InputFormatError).reason, /^cannot read rows (100000-150000|150000-200000|200000-250000|250000-300000) of row group 0: /);
  });
}
