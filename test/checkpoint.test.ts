import test, { type ExecutionContext } from 'ava';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AggregateOperator, CheckpointNotFoundError, CheckpointTooOldError, FileSink, FileSource, FlatMapOperator, Job, JobStoppedError, KeyByOperator, Operator, Stage,
  type JobRunner, type Split, type SplitPayload,
} from '../lib/index.js';
import { readJsonLinesDir, sortBy, tempDir } from './support/files.js';
import { until } from './support/until.js';

class Nap extends Operator<{ ms: number }> {
  async processSplit(split: Split, payload?: SplitPayload) {
    await sleep(this.config.ms);
    return payload ? payload.withSplitId(split.splitId) : null;
  }
}

async function numbersInput(dir: string, count: number): Promise<string> {
  const path = join(dir, 'numbers.jsonl');
  await writeFile(path, Array.from({ length: count }, (_, i) => JSON.stringify({ n: i, text: `line ${i}` })).join('\n') + '\n');
  return path;
}

function copyJob(jobId: string, input: string, output: string, napMs: number, extra: { retainCheckpoints?: number } = {}): Job {
  const job = new Job({ jobId, ...extra });
  job.addStage(new Stage('source', FileSource, { paths: input, splitBytes: 600 }, 1));
  job.addStage(new Stage('nap', Nap, { ms: napMs }, 2), ['source']);
  job.addStage(new Stage('sink', FileSink, { path: output, format: 'jsonl' }, 2), ['nap']);
  return job;
}

/**
 * Runs the job until stage `stage` has processed `splits` splits, takes a
 * checkpoint, stops the job; returns the checkpoint id and the run's figures.
 */
async function checkpointThenStop(t: ExecutionContext, runner: JobRunner, stage: number, splits: number) {
  const run = runner.run();
  await until(`stage ${stage} took ${splits} splits`, async () => ((await runner.status()).stages[stage]?.splitsIn ?? 0) >= splits);
  const id = await runner.triggerCheckpoint();
  const status = await runner.status();
  await runner.stop();
  await t.throwsAsync(run, { instanceOf: JobStoppedError });
  return { id, status };
}

test('a completed job publishes a final checkpoint and leaves only committed files', async (t) => {
  const dir = await tempDir();
  const input = await numbersInput(dir, 500);
  const state = join(dir, 'state');
  const runner = copyJob('done', input, join(dir, 'out'), 0).createRunner({ stateBackend: state });
  await runner.run();
  const ids = await runner.listCheckpoints();
  t.true(ids.length >= 1);
  const manifest = JSON.parse(await readFile(join(state, 'done', 'checkpoints', ids.at(-1)!.padStart(10, '0'), 'MANIFEST.json'), 'utf8'));
  t.true(manifest.final);
  t.deepEqual(manifest.stages.source.source.done.length, manifest.stages.source.source.plan.length);
  t.false(existsSync(join(dir, 'out', '_staging')));
  t.deepEqual(sortBy(await readJsonLinesDir(join(dir, 'out')), (r) => r.n as number).map((r) => r.n), Array.from({ length: 500 }, (_, i) => i));
});

test('triggerCheckpoint mid-run, stop, restoreFromCheckpoint: every record lands once', async (t) => {
  const dir = await tempDir();
  const input = await numbersInput(dir, 3000);
  const state = join(dir, 'state');
  const output = join(dir, 'out');
  const first = copyJob('resume', input, output, 15).createRunner({ stateBackend: state });
  const { id, status } = await checkpointThenStop(t, first, 2, 10);
  t.regex(id, /^\d+$/);

  const committed = await readJsonLinesDir(output);
  t.true(committed.length > 0 && committed.length < 3000, `${committed.length} records committed at checkpoint ${id}`);
  t.deepEqual(await first.listCheckpoints(), [id]);

  const second = copyJob('resume', input, output, 0).createRunner({ stateBackend: state });
  await second.restoreFromCheckpoint(id);
  const summary = await second.run();
  t.is(summary.resumedFrom, Number(id));
  t.true(summary.stages[0]!.splitsPlanned! < status.stages[0]!.splitsPlanned!, 'the resumed run reads only the splits not done at the checkpoint');
  const all = (await readJsonLinesDir(output)).map((r) => r.n as number).sort((a, b) => a - b);
  t.deepEqual(all, Array.from({ length: 3000 }, (_, i) => i));
});

/** A FileSource whose planning takes a while, as listing many files on a slow store does. */
class SlowPlanningSource extends FileSource {
  override async planSplits() {
    await sleep(600);
    return super.planSplits();
  }
}

test('a checkpoint asked for while the source still plans its splits holds the plan, and a restore from it reads every record', async (t) => {
  const dir = await tempDir();
  const input = await numbersInput(dir, 2000);
  const state = join(dir, 'state');
  const output = join(dir, 'out');
  const slowJob = (napMs: number) => {
    const job = new Job({ jobId: 'planning' });
    job.addStage(new Stage('source', SlowPlanningSource, { paths: input, splitBytes: 600 }, 1));
    job.addStage(new Stage('nap', Nap, { ms: napMs }, 2), ['source']);
    job.addStage(new Stage('sink', FileSink, { path: output, format: 'jsonl' }, 1), ['nap']);
    return job;
  };
  const first = slowJob(20).createRunner({ stateBackend: state });
  const run = first.run();
  await until('the job runs', async () => (await first.status()).runner === 'running');
  const id = await first.triggerCheckpoint();
  await first.stop();
  await t.throwsAsync(run, { instanceOf: JobStoppedError });
  const manifest = JSON.parse(await readFile(join(state, 'planning', 'checkpoints', id.padStart(10, '0'), 'MANIFEST.json'), 'utf8'));
  t.true(manifest.stages.source.source.plan.length > 0, 'the checkpoint holds the source plan');

  const second = slowJob(0).createRunner({ stateBackend: state });
  await second.restoreFromCheckpoint(id);
  await second.run();
  const all = (await readJsonLinesDir(output)).map((r) => r.n as number).sort((a, b) => a - b);
  t.deepEqual(all, Array.from({ length: 2000 }, (_, i) => i));
});

test('a job started again with the same id and state resumes from its latest checkpoint', async (t) => {
  const dir = await tempDir();
  const input = await numbersInput(dir, 3000);
  const state = join(dir, 'state');
  const output = join(dir, 'out');
  await checkpointThenStop(t, copyJob('again', input, output, 15).createRunner({ stateBackend: state }), 2, 10);
  const summary = await copyJob('again', input, output, 0).createRunner({ stateBackend: state }).run();
  t.is(typeof summary.resumedFrom, 'number');
  t.is((await readJsonLinesDir(output)).length, 3000);
  // Completed now: a third start runs the job from the beginning.
  const fresh = await copyJob('again', input, join(dir, 'out2'), 0).createRunner({ stateBackend: state }).run();
  t.is(fresh.resumedFrom, undefined);
  t.is((await readJsonLinesDir(join(dir, 'out2'))).length, 3000);
});

test('fan-out with KeyBy and Aggregate: counts stay exact across a stop and a restore', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'sentences.jsonl');
  const sentences = Array.from({ length: 400 }, (_, i) => ({ text: `the quick fox ${i % 7} jumps over ${i % 3} dogs` }));
  await writeFile(path, sentences.map((s) => JSON.stringify(s)).join('\n') + '\n');
  const expected = new Map<string, number>();
  for (const s of sentences) for (const word of s.text.split(' ')) expected.set(word, (expected.get(word) ?? 0) + 1);
  const build = (napMs: number) => {
    const job = new Job({ jobId: 'words' });
    job.addStage(new Stage('source', FileSource, { paths: path, splitBytes: 400 }, 1));
    job.addStage(new Stage('words', FlatMapOperator, { fn: (row) => String(row.text).split(' ').map((word) => ({ word })) }, 2), ['source']);
    job.addStage(new Stage('nap', Nap, { ms: napMs }, 2), ['words']);
    job.addStage(new Stage('by-word', KeyByOperator, { fn: (row) => String(row.word) }, 2), ['nap']);
    job.addStage(new Stage('count', AggregateOperator, { aggregations: { n: { op: 'count' } } }, 3), ['by-word']);
    job.addStage(new Stage('sink', FileSink, { path: join(dir, 'counts'), format: 'jsonl' }, 1), ['count']);
    return job;
  };
  const state = join(dir, 'state');
  const { id } = await checkpointThenStop(t, build(10).createRunner({ stateBackend: state }), 3, 8);
  t.false(existsSync(join(dir, 'counts')) && (await readdir(join(dir, 'counts'))).some((n) => n.endsWith('.jsonl')), 'no counts before the input ends');

  const second = build(0).createRunner({ stateBackend: state });
  await second.restoreFromCheckpoint(id);
  await second.run();
  const counts = await readJsonLinesDir(join(dir, 'counts'));
  t.is(counts.length, expected.size);
  for (const row of counts) t.is(row.n, expected.get(row._key as string), `count of '${row._key}'`);
});

test('only the newest checkpoints are kept', async (t) => {
  const dir = await tempDir();
  const input = await numbersInput(dir, 2000);
  const runner = copyJob('retain', input, join(dir, 'out'), 5, { retainCheckpoints: 2 }).createRunner({ stateBackend: join(dir, 'state') });
  const run = runner.run();
  await until('the sink took 3 splits', async () => ((await runner.status()).stages[2]?.splitsIn ?? 0) >= 3);
  const ids = [await runner.triggerCheckpoint(), await runner.triggerCheckpoint(), await runner.triggerCheckpoint()];
  t.deepEqual(await runner.listCheckpoints(), ids.slice(-2));
  await run;
  const after = await runner.listCheckpoints();
  t.is(after.length, 2);
  t.true(Number(after[1]) > Number(ids[2]));
});

test('restoring a checkpoint older than the latest is refused with the reason', async (t) => {
  const dir = await tempDir();
  const input = await numbersInput(dir, 2000);
  const state = join(dir, 'state');
  const runner = copyJob('older', input, join(dir, 'out'), 5).createRunner({ stateBackend: state });
  const run = runner.run();
  await until('the sink took 3 splits', async () => ((await runner.status()).stages[2]?.splitsIn ?? 0) >= 3);
  const first = await runner.triggerCheckpoint();
  await runner.triggerCheckpoint();
  await runner.stop();
  await t.throwsAsync(run);
  const again = copyJob('older', input, join(dir, 'out'), 0).createRunner({ stateBackend: state });
  const older = await t.throwsAsync(again.restoreFromCheckpoint(first), { instanceOf: CheckpointTooOldError, message: /older than the latest/ });
  t.is(older!.checkpointId, Number(first));
  t.true(older!.latestCheckpointId > Number(first), 'the latest is the second checkpoint');
  const missing = await t.throwsAsync(again.restoreFromCheckpoint('99'), { instanceOf: CheckpointNotFoundError, message: /has no completed checkpoint 99/ });
  t.is(missing!.checkpointId, 99);
  t.true(missing!.completed.includes(older!.latestCheckpointId), 'it lists the completed checkpoints');
});
