import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  InputFormatError, Job, JobStoppedError, MapOperator, OperatorError, RowFunctionError, SinkOperator,
  SourceOperator, Split, SplitPayload, Stage, FileSource,
} from '../lib/index.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir, isolatedState } from './support/files.js';
import { until } from './support/until.js';

const closed = new Set<string>();

class TickSource extends SourceOperator<{ splits: number }> {
  planSplits() {
    return Array.from({ length: this.config.splits }, (_, i) => ({ i }));
  }

  processSplit(split: Split) {
    return SplitPayload.fromRows([{ i: split.range!.i as number }], split.splitId);
  }
}

class NapSink extends SinkOperator<{ name: string; napMs: number }> {
  async processSplit() {
    await sleep(this.config.napMs);
    return null;
  }

  override close() {
    closed.add(this.config.name);
  }
}

function slowJob(name: string, splits: number): Job {
  const job = new Job({ jobId: name, maxBufferedSplits: 2 });
  job.addStage(new Stage('source', TickSource, { splits }, 1));
  job.addStage(new Stage('sink', NapSink, { name, napMs: 20 }, 1), ['source']);
  return job;
}

test('status() reports the running job per stage, and the final figures after', async (t) => {
  const runner = slowJob('status', 40).createRunner(isolatedState());
  await runner.initialize();
  const done = runner.run();
  let running = await runner.status();
  await until('the sink took a split', async () => ((running = await runner.status()).stages[1]?.splitsIn ?? 0) > 0);
  t.is(running.runner, 'running');
  t.is(running.state, 'running');
  t.deepEqual(running.stages.map((s) => s.stage), ['source', 'sink']);
  t.is(running.stages[0]!.splitsPlanned, 40);
  t.true(running.stages[1]!.splitsIn > 0 && running.stages[1]!.splitsIn < 40);
  await done;
  const finished = await runner.status();
  t.is(finished.runner, 'finished');
  t.is(finished.state, 'finished');
  t.is(finished.stages[1]!.rowsIn, 40);
  t.deepEqual(finished.sources, { splitsDone: 40, records: 40 });
});

test('stop() ends a running job: run() rejects with JobStoppedError and operators are closed', async (t) => {
  const runner = slowJob('stop', 500).createRunner(isolatedState());
  const done = runner.run();
  await until('the sink took a split', async () => ((await runner.status()).stages[1]?.splitsIn ?? 0) > 0);
  await runner.stop();
  await t.throwsAsync(done, { instanceOf: JobStoppedError });
  t.true(closed.has('stop'));
  t.is((await runner.status()).runner, 'stopped');
});

test('stop() before run() makes run() reject without running anything', async (t) => {
  const runner = slowJob('stop-early', 5).createRunner(isolatedState());
  await runner.stop();
  await t.throwsAsync(runner.run(), { instanceOf: JobStoppedError, message: /stopped before it ran/ });
  t.is((await runner.status()).runner, 'stopped');
});

test('an operator error reaches the caller as OperatorError with the original error as cause', async (t) => {
  const job = new Job({ jobId: 'throws' });
  job.addStage(new Stage('source', TickSource, { splits: 5 }, 1));
  job.addStage(new Stage('boom', MapOperator, { fn: (row) => { if (row.i === 3) throw new TypeError('no threes'); return row; } }, 1), ['source']);
  job.addStage(new Stage('sink', NapSink, { name: 'throws', napMs: 1 }, 1), ['boom']);
  const error = await t.throwsAsync(job.createRunner(isolatedState()).run(), { instanceOf: OperatorError });
  t.is((error as OperatorError).stage, 'boom');
  t.is((error as OperatorError).splitId, 'boom/source-00003');
  t.true(error!.cause instanceof RowFunctionError);
  t.regex(error!.message, /row 1 \(\{"i":3\}\): no threes/);
});

test('a bad input file reaches the caller as InputFormatError with file and line', async (t) => {
  const dir = await tempDir();
  await writeFile(join(dir, 'in.jsonl'), '{"a":1}\n[1,2]\n');
  const job = new Job({ jobId: 'bad-file' });
  job.addStage(new Stage('source', FileSource, { paths: join(dir, 'in.jsonl') }, 1));
  job.addStage(new Stage('sink', NapSink, { name: 'bad-file', napMs: 1 }, 1), ['source']);
  const error = await t.throwsAsync(job.createRunner(isolatedState()).run(), { instanceOf: OperatorError });
  const cause = error!.cause as InputFormatError;
  t.true(cause instanceof InputFormatError);
  t.is(cause.file, join(dir, 'in.jsonl'));
  t.is(cause.line, 2);
  t.regex(cause.reason, /expected a JSON object/);
});
