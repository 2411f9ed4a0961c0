/**
 * Cutting a source split in two (what a stage does to a split that would
 * take too long, docs/checkpointing.md): the two parts read exactly the
 * records of the whole, whatever the cut; and the target a split is cut to.
 */
import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatNamed } from '../formats/index.js';
import type { FileSplit } from '../formats/index.js';
import { splitTargetMs } from '../actors/stage/source-input.js';
import { Job, Stage, FileSource, FileSink } from '../lib/index.js';
import { tempDir } from './support/files.js';

async function idsOf(format: string, split: FileSplit): Promise<number[]> {
  const records = await formatNamed(format)!.readSplit(split);
  const rows = Array.isArray(records) ? records : records.toArray().map((row) => row.toJSON() as Record<string, unknown>);
  return rows.map((row) => Number(row.id));
}

for (const format of ['jsonl', 'csv'] as const) {
  test(`${format}: the two parts of a cut byte range read every record of the whole once, wherever the cut falls`, async (t) => {
    const dir = await tempDir(`solstice-cut-${format}-`);
    const path = join(dir, `rows.${format}`);
    const ids = Array.from({ length: 500 }, (_, id) => id);
    // Lines of varied length, so cuts fall anywhere in a line.
    const text = format === 'jsonl'
      ? ids.map((id) => `${JSON.stringify({ id, pad: 'x'.repeat(id % 37) })}\n`).join('')
      : `id,pad\n${ids.map((id) => `${id},${'x'.repeat(id % 37)}\n`).join('')}`;
    await writeFile(path, text);
    const [whole] = await formatNamed(format)!.planSplits(path, { splitBytes: 1 << 20, batchRows: 100_000, options: undefined });
    t.deepEqual(await idsOf(format, whole!), ids);
    for (const fraction of [0.001, 0.1, 0.37, 0.5, 0.9, 0.999]) {
      const parts = formatNamed(format)!.cut!(whole!, fraction);
      t.truthy(parts, `cut at ${fraction}`);
      const [head, tail] = parts!;
      t.deepEqual([...(await idsOf(format, head)), ...(await idsOf(format, tail))], ids, `cut at ${fraction}`);
      t.true(head.rows! >= 1 && tail.rows! >= 1);
    }
  });
}

test('parquet: a row range cuts into two row ranges that share its rows; whole row groups are not cut', async (t) => {
  const parquet = formatNamed('parquet')!;
  const range = { path: 'x.parquet', format: 'parquet', rowGroups: [2], rowStart: 1000, rowEnd: 5000, rows: 4000, groupRows: 8000, offsetIndex: false, stream: 'x.parquet#2' };
  const [head, tail] = parquet.cut!(range, 0.25)!;
  t.like(head, { rowStart: 1000, rowEnd: 2000, rows: 1000, stream: 'x.parquet#2' });
  t.like(tail, { rowStart: 2000, rowEnd: 5000, rows: 3000, stream: 'x.parquet#2' });
  t.is(parquet.cut!({ path: 'x.parquet', format: 'parquet', rowGroups: [0, 1], rows: 3000 }, 0.5), undefined);
});

test('a split is cut to a quarter of the checkpoint interval, between 100 ms and 1 s', (t) => {
  const target = (checkpointIntervalSecs?: number) => {
    const job = new Job({ jobId: 'target', checkpointIntervalSecs });
    job.addStage(new Stage('source', FileSource, { paths: 'in' }, 1));
    job.addStage(new Stage('sink', FileSink, { path: 'out' }, 1), ['source']);
    return splitTargetMs(job);
  };
  t.is(target(1), 250);
  t.is(target(0.2), 100);
  t.is(target(10), 1000);
  t.is(target(undefined), 1000, 'the default interval, 5 s');
  t.is(target(0), 1000, 'no interval');
});
