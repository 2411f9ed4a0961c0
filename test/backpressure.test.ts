import test from 'ava';
import { isolatedState } from './support/files.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, MapOperator, SinkOperator, SourceOperator, Split, SplitPayload, Stage } from '../lib/index.js';

interface Events {
  /** Splits read by the source, and written by the sink, in the order they happened. */
  order: ('read' | 'write')[];
  produced: number;
  consumed: number;
  /** Most splits read by the source and not yet written by the sink, seen at any moment. */
  maxOutstanding: number;
}

function outstanding(events: Events): number {
  return events.produced - events.consumed;
}

const runs = new Map<string, Events>();

class NumberedSource extends SourceOperator<{ run: string; splits: number }> {
  planSplits() {
    return Array.from({ length: this.config.splits }, (_, i) => ({ i }));
  }

  processSplit(split: Split) {
    const events = runs.get(this.config.run)!;
    events.produced++;
    events.order.push('read');
    events.maxOutstanding = Math.max(events.maxOutstanding, outstanding(events));
    const i = split.range!.i as number;
    return SplitPayload.fromRows(Array.from({ length: 100 }, (_, j) => ({ i, j })), split.splitId);
  }
}

class SlowSink extends SinkOperator<{ run: string; delayMs: number }> {
  async processSplit() {
    await sleep(this.config.delayMs);
    const events = runs.get(this.config.run)!;
    events.consumed++;
    events.order.push('write');
    return null;
  }
}

function pipeline(run: string, splits: number, bufferBound: number): Job {
  runs.set(run, { order: [], produced: 0, consumed: 0, maxOutstanding: 0 });
  // Unfused, so that the source's output waits in its bounded buffer for the sink (fused, it would not wait at all).
  const job = new Job({ jobId: run, maxBufferedSplits: bufferBound, chain: false });
  job.addStage(new Stage('source', NumberedSource, { run, splits }, 1));
  job.addStage(new Stage('sink', SlowSink, { run, delayMs: 15 }, 1), ['source']);
  return job;
}

test('a slow sink holds a fast source back: buffered splits never exceed the bound', async (t) => {
  const bound = 3;
  const summary = await pipeline('bp', 60, bound).createRunner(isolatedState()).run();
  const events = runs.get('bp')!;
  t.is(events.consumed, 60);
  const source = summary.stages.find((s) => s.stage === 'source')!;
  t.is(source.bufferCapacity, bound);
  t.true(source.maxBuffered <= bound, `source buffered up to ${source.maxBuffered}`);
  t.true(source.maxBuffered >= 1);
  // Read but not yet written: the source's bounded buffer (in flight + held), plus one split
  // queued at the sink and one in the sink's hands.
  t.true(events.maxOutstanding <= bound + 2, `up to ${events.maxOutstanding} splits outstanding`);
});

test('splits stream: the sink writes its first split long before the source has read its last', async (t) => {
  await pipeline('stream', 40, 2).createRunner(isolatedState()).run();
  const events = runs.get('stream')!;
  const firstWrite = events.order.indexOf('write');
  const lastRead = events.order.lastIndexOf('read');
  t.true(firstWrite >= 0 && firstWrite < lastRead, `first sink output came before the last source read: ${events.order.join(' ')}`);
  const readsBeforeFirstWrite = events.order.slice(0, firstWrite).length;
  t.true(readsBeforeFirstWrite <= 5, `${readsBeforeFirstWrite} of 40 splits were read before the first write`);
});

test('a bound wider than the work lets the source run ahead', async (t) => {
  runs.set('wide', { order: [], produced: 0, consumed: 0, maxOutstanding: 0 });
  const job = new Job({ jobId: 'wide' });
  job.addStage(new Stage('source', NumberedSource, { run: 'wide', splits: 10 }, 1, { maxBufferedSplits: 20 }));
  job.addStage(new Stage('double', MapOperator, { fn: (row) => ({ ...row, j: (row.j as number) * 2 }) }, 2), ['source']);
  job.addStage(new Stage('sink', SlowSink, { run: 'wide', delayMs: 15 }, 1), ['double']);
  const summary = await job.createRunner(isolatedState()).run();
  t.is(runs.get('wide')!.consumed, 10);
  t.is(summary.stages.find((s) => s.stage === 'double')!.rowsOut, 1000);
  t.true(runs.get('wide')!.maxOutstanding > 5, 'with room to spare the source is not held back');
});
