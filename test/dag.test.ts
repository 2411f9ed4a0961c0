import test from 'ava';
import { isolatedState } from './support/files.js';
import { CollectSink, collected } from './support/collect-sink.js';
import {
  FilterOperator, FlatMapOperator, Job, KeyByOperator, MapOperator, Operator, SourceOperator, Split, SplitPayload, Stage,
  type Row,
} from '../lib/index.js';

const seenByWorker = new Map<string, Map<string, Set<number>>>();

class RowsSource extends SourceOperator<{ rows: Row[]; perSplit: number }> {
  planSplits() {
    const ranges = [];
    for (let start = 0; start < this.config.rows.length; start += this.config.perSplit) ranges.push({ start });
    return ranges;
  }

  processSplit(split: Split) {
    const start = split.range!.start as number;
    return SplitPayload.fromRows(this.config.rows.slice(start, start + this.config.perSplit), split.splitId);
  }
}

/** Remembers which worker saw which key, then passes rows on. */
class KeyWitness extends Operator<{ name: string }> {
  processSplit(split: Split, payload?: SplitPayload) {
    const byKey = seenByWorker.get(this.config.name) ?? new Map<string, Set<number>>();
    seenByWorker.set(this.config.name, byKey);
    for (const row of payload!.toRows()) {
      const workers = byKey.get(String(row._key)) ?? new Set<number>();
      workers.add(this.context.workerIndex);
      byKey.set(String(row._key), workers);
    }
    return payload!.withSplitId(split.splitId);
  }
}

const numbers = (n: number): Row[] => Array.from({ length: n }, (_, i) => ({ n: i }));
const values = (rows: Row[] | undefined, key = 'n') => (rows ?? []).map((r) => r[key] as number).sort((a, b) => a - b);

test('fan-out: one stage feeds two branches and each branch sees every row once', async (t) => {
  const job = new Job({ jobId: 'fan-out' });
  job.addStage(new Stage('source', RowsSource, { rows: numbers(1000), perSplit: 64 }, 1));
  job.addStage(new Stage('evens', FilterOperator, { fn: (r) => (r.n as number) % 2 === 0 }, 2), ['source']);
  job.addStage(new Stage('squares', MapOperator, { fn: (r) => ({ n: (r.n as number) ** 2 }) }, 3), ['source']);
  job.addStage(new Stage('evens-sink', CollectSink, { name: 'fan-out-evens' }, 1), ['evens']);
  job.addStage(new Stage('squares-sink', CollectSink, { name: 'fan-out-squares' }, 2), ['squares']);
  await job.createRunner(isolatedState()).run();
  t.deepEqual(values(collected.get('fan-out-evens')), numbers(1000).map((r) => r.n as number).filter((n) => n % 2 === 0));
  t.deepEqual(values(collected.get('fan-out-squares')), numbers(1000).map((r) => (r.n as number) ** 2));
});

test('fan-in: two sources feed one stage, which sees the union of their rows', async (t) => {
  const job = new Job({ jobId: 'fan-in' });
  job.addStage(new Stage('left', RowsSource, { rows: numbers(300), perSplit: 50 }, 1));
  job.addStage(new Stage('right', RowsSource, { rows: numbers(200).map((r) => ({ n: (r.n as number) + 1000 })), perSplit: 30 }, 2));
  job.addStage(new Stage('merge', FlatMapOperator, { fn: (r) => [r, { n: -(r.n as number) - 1 }] }, 2), ['left', 'right']);
  job.addStage(new Stage('sink', CollectSink, { name: 'fan-in' }, 1), ['merge']);
  const summary = await job.createRunner(isolatedState()).run();
  const expected = [...numbers(300).map((r) => r.n as number), ...numbers(200).map((r) => (r.n as number) + 1000)];
  const all = expected.flatMap((n) => [n, -n - 1]).sort((a, b) => a - b);
  t.deepEqual(values(collected.get('fan-in')), all);
  const merge = summary.stages.find((s) => s.stage === 'merge')!;
  t.is(merge.splitsIn, 6 + 7);
  t.is(merge.rowsOut, 1000);
});

test('KeyBy routes all rows of one key to one worker of the next stage', async (t) => {
  const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i, user: `user-${(i * 7919) % 97}` }));
  const job = new Job({ jobId: 'key-by' });
  job.addStage(new Stage('source', RowsSource, { rows, perSplit: 250 }, 1));
  job.addStage(new Stage('key', KeyByOperator, { fn: (r) => r.user as string }, 2), ['source']);
  job.addStage(new Stage('witness', KeyWitness, { name: 'key-by' }, 3), ['key']);
  job.addStage(new Stage('sink', CollectSink, { name: 'key-by' }, 1), ['witness']);
  await job.createRunner(isolatedState()).run();
  const byKey = seenByWorker.get('key-by')!;
  t.is(byKey.size, 97);
  for (const [key, workers] of byKey) t.is(workers.size, 1, `key ${key} met workers ${[...workers].join(',')}`);
  t.true(new Set([...byKey.values()].flatMap((w) => [...w])).size > 1, 'keys are spread over several workers');
  const out = collected.get('key-by')!;
  t.deepEqual(values(out, 'id'), rows.map((r) => r.id));
  t.true(out.every((r) => r._key === r.user));
});

test('a batch function transforms whole Arrow tables', async (t) => {
  const { tableFromArrays } = await import('apache-arrow');
  const job = new Job({ jobId: 'batch' });
  job.addStage(new Stage('source', RowsSource, { rows: numbers(100), perSplit: 40 }, 1));
  job.addStage(new Stage('plus', MapOperator, {
    batchFn: (table) => tableFromArrays({ n: Float64Array.from(table.getChild('n')!.toArray() as Float64Array, (v) => v + 0.5) }),
  }, 1), ['source']);
  job.addStage(new Stage('sink', CollectSink, { name: 'batch' }, 1), ['plus']);
  await job.createRunner(isolatedState()).run();
  t.deepEqual(values(collected.get('batch')), numbers(100).map((r) => (r.n as number) + 0.5));
});

test('PrintSink prints each row as a JSON line under its split id', async (t) => {
  const { PassThrough } = await import('node:stream');
  const { PrintSink } = await import('../lib/index.js');
  const stream = new PassThrough();
  let printed = '';
  stream.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const job = new Job({ jobId: 'print' });
  job.addStage(new Stage('source', RowsSource, { rows: numbers(5), perSplit: 3 }, 1));
  job.addStage(new Stage('print', PrintSink, { stream, maxRowsPerSplit: 2 }, 1), ['source']);
  await job.createRunner(isolatedState()).run();
  t.deepEqual(printed.trim().split('\n').sort(), [
    'print/source-00000\t... 1 more rows',
    'print/source-00000\t{"n":0}',
    'print/source-00000\t{"n":1}',
    'print/source-00001\t{"n":3}',
    'print/source-00001\t{"n":4}',
  ]);
});
