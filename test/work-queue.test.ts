/**
 * The order in which a stage hands out source splits: the row ranges of one
 * Parquet row group (one stream) go to one worker, so the group is decoded
 * once, and two workers read two groups at once.
 */
import test from 'ava';
import { WorkQueue } from '../actors/stage/work-queue.js';
import { Split } from '../lib/split.js';
import type { WorkItem } from '../protocol/messages.js';

function item(index: number, stream?: string): WorkItem {
  return { split: Split.forSource('source', index, stream === undefined ? { index } : { index, stream }, 0).toJSON() };
}

const indexOf = (taken: WorkItem | undefined) => taken?.split.range?.index;

test('each worker keeps to the stream it started and a free worker starts another stream', (t) => {
  const queue = new WorkQueue(2);
  // Two row groups of three ranges each, then a split of no stream.
  for (const [index, stream] of [[0, 'g0'], [1, 'g0'], [2, 'g0'], [3, 'g1'], [4, 'g1'], [5, 'g1'], [6, undefined]] as const) queue.push(item(index, stream));
  t.is(indexOf(queue.takeFor(0)), 0);
  t.is(indexOf(queue.takeFor(1)), 3, 'the second worker skips the stream the first is on');
  t.is(indexOf(queue.takeFor(1)), 4);
  t.is(indexOf(queue.takeFor(0)), 1);
  t.is(indexOf(queue.takeFor(0)), 2);
  t.is(indexOf(queue.takeFor(0)), 6, 'its stream done, a worker takes the oldest split no other worker streams');
  t.is(indexOf(queue.takeFor(0)), 5, 'when nothing else is left, a worker takes another stream\'s split');
  t.is(queue.takeFor(1), undefined);
});

test('splits without a stream go out oldest first, and what the dispatcher may not take yet (a later epoch) waits', (t) => {
  const queue = new WorkQueue(2);
  for (let index = 0; index < 3; index++) queue.push(item(index));
  const late = item(3);
  late.split.epoch = 2;
  queue.push(late);
  t.deepEqual([queue.takeFor(1), queue.takeFor(0), queue.takeFor(1)].map(indexOf), [0, 1, 2]);
  t.is(queue.takeFor(0, (queued) => queued.split.epoch <= 1), undefined);
  t.is(indexOf(queue.takeFor(0, (queued) => queued.split.epoch <= 2)), 3);
});

test('when the workers change, each partition is owned anew and its queued splits follow it; a split queued for one worker alone stays', (t) => {
  const keyed = (partition: number): WorkItem => ({ split: { ...Split.forSource('source', partition, {}, 0).deriveFor('sink', partition).toJSON() } });
  const queue = new WorkQueue(2);
  for (let partition = 0; partition < 4; partition++) queue.push(keyed(partition));
  const lost = keyed(5);
  queue.pushFor(1, lost);
  // Worker 1 drains; workers 0 and 2 take splits.
  queue.setOwners([0, 2]);
  t.true(queue.hasPinned(1));
  t.is(queue.takeFor(1), lost, 'the split queued for worker 1 alone waits for it');
  t.false(queue.hasPinned(1));
  const partitionsOf = (worker: number) => {
    const taken: number[] = [];
    for (let item = queue.takeFor(worker); item; item = queue.takeFor(worker)) taken.push(item.split.partition!);
    return taken;
  };
  t.deepEqual(partitionsOf(0), [0, 2]);
  t.deepEqual(partitionsOf(2), [1, 3]);
  t.is(queue.size, 0);
});
