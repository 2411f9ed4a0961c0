/**
 * A job run inside a Node service: cancelled by an AbortSignal or stopped
 * with a drain, followed through its events, several at once with a
 * registry of them, and on an actor system of the application's own.
 */
import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSystem } from 'comedy';
import {
  ArgumentError, FileSink, Job, JobStoppedError, MapOperator, SinkOperator, SourceOperator, SplitPayload, Stage, getJob, listJobs,
  type DataRange, type RunnerEvent, type RunnerStatus, type Split,
} from '../lib/index.js';
import { createJob as createGatedCopy } from './fixtures/gated_copy_workflow.js';
import { until } from './support/until.js';
import { readJsonLinesDir, tempDir } from './support/files.js';

const ROWS = 200;
const value = (id: number) => (id * 7) % 1000;

/** Where a source holds: at split `from`, it calls `reached` and waits for `release`. */
interface Hold {
  from: number;
  reached: () => void;
  release: Promise<unknown>;
}

/** A hold at split `from`, reached and released by the test. */
function holdAt(from: number): Hold & { held: Promise<void>; open: () => void } {
  let reached!: () => void;
  let open!: () => void;
  const held = new Promise<void>((resolve) => (reached = resolve));
  const release = new Promise<void>((resolve) => (open = resolve));
  return { from, reached, release, held, open };
}

/** Splits of ROWS ids each, a few ms apart, held at `hold.from` if given; the split indexes read whole are noted in `read`. */
class IdSource extends SourceOperator<{ splits: number; pauseMs: number; read: number[]; hold?: Hold }> {
  planSplits(): DataRange[] {
    return Array.from({ length: this.config.splits }, (_, index) => ({ index }));
  }

  async processSplit(split: Split): Promise<SplitPayload> {
    await sleep(this.config.pauseMs);
    const index = split.range!.index as number;
    const { hold } = this.config;
    if (hold && index >= hold.from) {
      hold.reached();
      await hold.release;
    }
    const rows = Array.from({ length: ROWS }, (_, n) => ({ id: index * ROWS + n, split: index }));
    this.config.read.push(index);
    return SplitPayload.fromRows(rows, split.splitId);
  }
}

class DropSink extends SinkOperator<Record<string, never>> {
  processSplit(): null {
    return null;
  }
}

/** source -> value (id * 7 mod 1000) -> JSON lines in `out`; a checkpoint every two splits read. */
function idJob(jobId: string, out: string, splits: number, read: number[], hold?: Hold): Job {
  const job = new Job({ jobId, checkpointIntervalRecords: 2 * ROWS });
  job.addStage(new Stage('source', IdSource, { splits, pauseMs: 2, read, ...(hold ? { hold } : {}) }, 1));
  job.addStage(new Stage('value', MapOperator, { fn: (row) => ({ ...row, value: value(row.id as number) }) }, 2), ['source']);
  job.addStage(new Stage('sink', FileSink, { path: out, format: 'jsonl' }, 1), ['value']);
  return job;
}

interface OutRow { id: number; split: number; value: number }

/** The output's rows by split: each split present is whole (ROWS rows, each once, with the formula's value). */
async function wholeSplits(t: import('ava').ExecutionContext, out: string): Promise<Set<number>> {
  const rows = (await readJsonLinesDir(out).catch(() => [])) as unknown as OutRow[];
  const bySplit = new Map<number, number[]>();
  for (const row of rows) {
    t.is(row.value, value(row.id), `row ${row.id}`);
    bySplit.set(row.split, [...(bySplit.get(row.split) ?? []), row.id]);
  }
  for (const [split, ids] of bySplit) {
    t.deepEqual(ids.sort((a, b) => a - b), Array.from({ length: ROWS }, (_, n) => split * ROWS + n), `split ${split} is whole and once`);
  }
  return new Set(bySplit.keys());
}

/** Runs the job again from its last checkpoint to the end: every id once. */
async function resumeToEnd(t: import('ava').ExecutionContext, jobId: string, out: string, state: string, splits: number): Promise<void> {
  await idJob(jobId, out, splits, []).createRunner({ stateBackend: state, restore: 'latest' }).run();
  const rows = (await readJsonLinesDir(out)) as unknown as OutRow[];
  t.deepEqual(rows.map((row) => row.id).sort((a, b) => a - b), Array.from({ length: splits * ROWS }, (_, id) => id));
}

test('run({ signal }): an abort stops the job, run() rejects with JobStoppedError carrying the reason, and only committed splits are in the output', async (t) => {
  const dir = await tempDir('solstice-embed-abort-');
  const [out, state] = [join(dir, 'out'), join(dir, 'state')];
  const controller = new AbortController();
  // The source holds at split 10 until the abort: the job cannot end first.
  const hold = holdAt(10);
  controller.signal.addEventListener('abort', hold.open);
  const runner = idJob('abort', out, 60, [], hold).createRunner({ stateBackend: state, restore: 'none' });
  void hold.held.then(() => controller.abort('the import was cancelled'));
  const error = await t.throwsAsync(runner.run({ signal: controller.signal }), { instanceOf: JobStoppedError });
  t.is(error!.reason, 'the import was cancelled');
  t.is(runner.state, 'stopped');
  const present = await wholeSplits(t, out);
  t.true(present.size < 60, 'the job stopped before the end');
  await resumeToEnd(t, 'abort', out, state, 60);
});

test('run({ signal }) with a signal aborted already stops the job before it runs', async (t) => {
  const dir = await tempDir('solstice-embed-aborted-');
  const runner = idJob('aborted', join(dir, 'out'), 4, []).createRunner({ stateBackend: join(dir, 'state'), restore: 'none' });
  const error = await t.throwsAsync(runner.run({ signal: AbortSignal.abort('no') }), { instanceOf: JobStoppedError });
  t.is(error!.reason, 'no');
  t.deepEqual(await wholeSplits(t, join(dir, 'out')), new Set());
});

test('stop({ drain: true }) reads nothing new and commits every split read, and the job resumes from the checkpoint it took', async (t) => {
  const dir = await tempDir('solstice-embed-drain-');
  const [out, state] = [join(dir, 'out'), join(dir, 'state')];
  const read: number[] = [];
  // The source holds at split 10 until the stop has begun: the job cannot end first.
  const hold = holdAt(10);
  const runner = idJob('drain', out, 60, read, hold).createRunner({ stateBackend: state, restore: 'none' });
  let readBeforeStop: number[] = [];
  void hold.held.then(() => {
    readBeforeStop = [...read];
    void runner.stop({ drain: true, reason: 'deploy' });
    hold.open();
  });
  const error = await t.throwsAsync(runner.run(), { instanceOf: JobStoppedError });
  t.is(error!.reason, 'deploy');
  t.true(Number.isInteger(error!.checkpointId), error!.message);
  t.true(readBeforeStop.length > 0);
  const present = await wholeSplits(t, out);
  for (const split of readBeforeStop) t.true(present.has(split), `split ${split}, read before the stop, is in the output`);
  // The sources read no split for the first time once the stop began: each split read is committed, none read in vain.
  t.deepEqual([...present].sort((a, b) => a - b), [...new Set(read)].sort((a, b) => a - b));
  t.true(present.size < 60, 'the job stopped before the end');
  t.deepEqual(await runner.listCheckpoints().then((ids) => ids.includes(String(error!.checkpointId))), true);
  await resumeToEnd(t, 'drain', out, state, 60);
});

test('a draining stop holds the sources of forked masters and workers too: every record read is committed, and the resume writes the rest once', async (t) => {
  const dir = await tempDir('solstice-embed-drain-forked-');
  const [input, out, state, gate] = [join(dir, 'in.jsonl'), join(dir, 'out'), join(dir, 'state'), join(dir, 'gate')];
  const ids = 600;
  await writeFile(input, Array.from({ length: ids }, (_, id) => `${JSON.stringify({ id })}\n`).join(''));
  // source -> pass -> sink, a worker process each; no split passes 'pass' until the gate file exists.
  const config = { input, output: out, chain: false, gate };
  const options = {
    stateBackend: state, logLevel: 'silent' as const, workflowModule: fileURLToPath(new URL('./fixtures/gated_copy_workflow.js', import.meta.url)), config,
    placement: { GlobalStateMaster: { mode: 'forked' as const }, StageMaster: { mode: 'forked' as const }, Worker: { mode: 'forked' as const } },
  };
  const runner = createGatedCopy('drain-forked', config).createRunner({ ...options, restore: 'none', eventIntervalMs: 50 });
  let last: RunnerStatus | undefined;
  runner.on('progress', (status) => (last = status));
  const run = runner.run();
  // The source reads ahead of the gate until back-pressure holds it.
  await until('the source has read a split', async () => runner.state === 'running' && (await runner.status()).sources.splitsDone > 0);
  const stopping = runner.stop({ drain: true, reason: 'deploy' });
  await writeFile(gate, '');
  await stopping;
  const error = await t.throwsAsync(run, { instanceOf: JobStoppedError });
  t.true(Number.isInteger(error!.checkpointId), error!.message);
  const written = (await readJsonLinesDir(out)).map((row) => row.id as number).sort((a, b) => a - b);
  t.deepEqual(written, [...new Set(written)], 'each id once');
  t.true(written.length < ids, 'the job stopped before the end');
  // As the gate opened, the buffers emptied: a source not held would have read on, past what the checkpoint holds.
  t.is(last?.sources.records, written.length, 'every record the sources read is in the output');
  await createGatedCopy('drain-forked', config).createRunner({ ...options, restore: 'latest' }).run();
  t.deepEqual((await readJsonLinesDir(out)).map((row) => row.id as number).sort((a, b) => a - b), Array.from({ length: ids }, (_, id) => id));
});

test('events(): progress while it runs, each checkpoint, dead letters by stage, then done, last', async (t) => {
  const dir = await tempDir('solstice-embed-events-');
  const bad = (id: number) => id % 53 === 0;
  const job = new Job({ jobId: 'events', checkpointIntervalRecords: 2 * ROWS });
  job.addStage(new Stage('source', IdSource, { splits: 12, pauseMs: 2, read: [] }, 1));
  job.addStage(new Stage('check', MapOperator, {
    fn: (row) => {
      if (bad(row.id as number)) throw new Error(`id ${String(row.id)} is bad`);
      return row;
    },
  }, 1, { onError: 'dead-letter' }), ['source']);
  job.addStage(new Stage('drop', DropSink, {}, 1), ['check']);
  const runner = job.createRunner({ stateBackend: join(dir, 'state'), deadLetter: join(dir, 'dead'), restore: 'none', eventIntervalMs: 50 });
  const seen: RunnerEvent[] = [];
  const followed = (async () => {
    for await (const event of runner.events()) seen.push(event);
  })();
  const summary = await runner.run();
  await followed;
  t.is(seen.at(-1)?.type, 'done');
  const done = seen.at(-1)!;
  t.true(done.type === 'done' && done.data.outcome === 'finished' && done.data.summary === summary);
  t.true(seen.some((event) => event.type === 'progress' && event.data.runner === 'running'), 'progress while running');
  const checkpoints = seen.flatMap((event) => (event.type === 'checkpoint' ? [event.data] : []));
  t.true(checkpoints.length >= 1);
  t.true(checkpoints.some((record) => record.final && record.outcome === 'completed'), 'the final checkpoint');
  t.is(new Set(checkpoints.map((record) => record.id)).size, checkpoints.length, 'each checkpoint once');
  const letters = seen.flatMap((event) => (event.type === 'deadLetter' ? [event.data] : []));
  const expected = Array.from({ length: 12 * ROWS }, (_, id) => id).filter(bad).length;
  t.is(letters.reduce((sum, event) => sum + event.count, 0), expected);
  t.true(letters.every((event) => event.stage === 'check'));
  t.is(letters.at(-1)!.total, expected);
  t.false(seen.some((event) => event.type === 'failure'));
});

test('a failing job emits failure with its error, then done with the error run() rejects with', async (t) => {
  const dir = await tempDir('solstice-embed-failure-');
  const job = new Job({ jobId: 'failing' });
  job.addStage(new Stage('source', IdSource, { splits: 4, pauseMs: 0, read: [] }, 1));
  job.addStage(new Stage('check', MapOperator, {
    fn: (row) => {
      if (row.id === 333) throw new RangeError('id 333 is out of range');
      return row;
    },
  }, 1), ['source']);
  job.addStage(new Stage('drop', DropSink, {}, 1), ['check']);
  const runner = job.createRunner({ stateBackend: join(dir, 'state'), restore: 'none' });
  const failures: unknown[] = [];
  runner.on('failure', (failure) => failures.push(failure));
  const done = new Promise((resolve) => runner.once('done', resolve));
  const error = await t.throwsAsync(runner.run());
  t.like(failures, [{ attempt: 1, answer: 'failed', error: { name: 'OperatorError', cause: { name: 'RowFunctionError', cause: { name: 'RangeError', message: 'id 333 is out of range' } } } }]);
  t.deepEqual(await done, { outcome: 'failed', error });
});

test.serial('three jobs at once: listJobs() shows them while they run, getJob(id).stop() cancels one, the others end whole', async (t) => {
  const dir = await tempDir('solstice-embed-three-');
  const ids = ['import-a', 'import-b', 'import-c'];
  // Each source holds at split 5 until the registry has been checked: none can end first.
  const holds = ids.map(() => holdAt(5));
  const runners = ids.map((id, i) => idJob(id, join(dir, id, 'out'), 20, [], holds[i]).createRunner({ stateBackend: join(dir, id, 'state'), restore: 'none' }));
  const started = holds.map((hold) => hold.held);
  const runs = runners.map((runner) => runner.run().then(() => 'finished', (error: unknown) => (error instanceof JobStoppedError ? 'stopped' : String(error))));
  await Promise.all(started);
  t.deepEqual(listJobs().map((job) => job.jobId).sort(), ids);
  t.true(listJobs().every((job) => job.state === 'running'));
  t.is(getJob('import-b'), runners[1]);
  t.is(getJob('no-such-job'), undefined);
  // The same job against the same state location is refused; against another one it is another job.
  const twin = idJob('import-a', join(dir, 'twin'), 2, []).createRunner({ stateBackend: join(dir, 'import-a', 'state') });
  await t.throwsAsync(twin.run(), { instanceOf: ArgumentError, message: /'import-a' is already running in this process against the state location/ });
  const elsewhere = idJob('import-a', join(dir, 'elsewhere', 'out'), 2, []).createRunner({ stateBackend: join(dir, 'elsewhere', 'state') });
  await elsewhere.run();
  t.is((await wholeSplits(t, join(dir, 'elsewhere', 'out'))).size, 2);
  const stopped = getJob('import-b')!.stop({ reason: 'not needed' });
  for (const hold of holds) hold.open();
  await stopped;
  t.deepEqual(await Promise.all(runs), ['finished', 'stopped', 'finished']);
  t.deepEqual(listJobs(), []);
  for (const id of ['import-a', 'import-c']) t.is((await wholeSplits(t, join(dir, id, 'out'))).size, 20, id);
  t.true((await wholeSplits(t, join(dir, 'import-b', 'out'))).size < 20);
});

test('createRunner({ system }): the job runs on the application\'s actor system, which outlives it', async (t) => {
  const system = createSystem({ test: true, config: {} });
  t.teardown(() => system.destroy());
  const dir = await tempDir('solstice-embed-system-');
  for (const id of ['first', 'second']) {
    await idJob(id, join(dir, id, 'out'), 6, []).createRunner({ stateBackend: join(dir, id, 'state'), restore: 'none', system }).run();
    t.is((await wholeSplits(t, join(dir, id, 'out'))).size, 6, id);
  }
  // The application's own actors still work after the jobs ended.
  const root = await system.rootActor();
  const echo = await root.createChild({ echo: (text: string) => `echo ${text}` }, { mode: 'in-memory' });
  t.is(await echo.sendAndReceive('echo', 'still here'), 'echo still here');
});
