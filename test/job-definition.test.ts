import test from 'ava';
import { FileSource, Job, JobDefinitionError, MapOperator, PrintSink, Stage, StageNotFoundError } from '../lib/index.js';

const source = () => new Stage('source', FileSource, { paths: ['in.jsonl'] }, 1);
const map = (name: string) => new Stage(name, MapOperator, { fn: (r) => r }, 2);

test('addStage rejects a duplicate stage name', (t) => {
  const job = new Job({ jobId: 'j' }).addStage(source());
  const error = t.throws(() => job.addStage(source()), { instanceOf: JobDefinitionError });
  t.regex(error!.message, /Duplicate stage name 'source'/);
});

test('addStage rejects an unknown upstream and names the known stages', (t) => {
  const job = new Job({ jobId: 'j' }).addStage(source());
  const error = t.throws(() => job.addStage(map('m'), ['sorce']), { instanceOf: JobDefinitionError });
  t.regex(error!.message, /unknown upstream 'sorce'.*known: source/);
});

test('addStage rejects a cycle', (t) => {
  const job = new Job({ jobId: 'j' }).addStage(source());
  const error = t.throws(() => job.addStage(map('m'), ['source', 'm']), { instanceOf: JobDefinitionError });
  t.regex(error!.message, /cycle/);
});

test('a source cannot have upstreams and other stages need one', (t) => {
  const job = new Job({ jobId: 'j' }).addStage(source());
  t.throws(() => job.addStage(new Stage('s2', FileSource, { paths: ['x'] }), ['source']), { message: /source operator and cannot have upstreams/ });
  t.throws(() => job.addStage(new Stage('p', PrintSink, {})), { message: /needs at least one upstream/ });
});

test('parallelism must be a positive integer or ordered bounds', (t) => {
  t.throws(() => new Stage('m', MapOperator, { fn: (r) => r }, 0), { instanceOf: JobDefinitionError });
  t.throws(() => new Stage('m', MapOperator, { fn: (r) => r }, [4, 2]), { message: /1 <= min <= max/ });
  t.deepEqual(new Stage('m', MapOperator, { fn: (r) => r }, [2, 10]).bounds, { min: 2, max: 10 });
});

test('stage names must be usable in file names', (t) => {
  t.throws(() => new Stage('a/b', MapOperator, { fn: (r) => r }), { instanceOf: JobDefinitionError });
});

test('getStage names the stages a job has', (t) => {
  const job = new Job({ jobId: 'j' }).addStage(source()).addStage(map('m'), ['source']);
  const error = t.throws(() => job.getStage('nope'), { instanceOf: StageNotFoundError });
  t.regex(error!.message, /Unknown stage 'nope'; the job has: source, m/);
  t.deepEqual(job.downstreamsOf('source'), ['m']);
});

test('a stage that feeds none must be a sink, and no stage may read from a sink', (t) => {
  const dangling = new Job({ jobId: 'dangling' }).addStage(source()).addStage(map('m'), ['source']);
  t.throws(() => dangling.createRunner(), {
    instanceOf: JobDefinitionError,
    message: /^Stage 'm' \(MapOperator\) feeds no stage and is not a sink, so its output would be dropped: add a sink after it/,
  });
  const afterSink = new Job({ jobId: 'after-sink' }).addStage(source())
    .addStage(new Stage('print', PrintSink, {}, 1), ['source'])
    .addStage(map('m'), ['print'])
    .addStage(new Stage('sink', PrintSink, {}, 1), ['m']);
  t.throws(() => afterSink.createRunner(), {
    instanceOf: JobDefinitionError,
    message: "Stage 'print' runs a sink (PrintSink), which emits nothing, but 'm' reads from it; feed it from the stage before 'print'",
  });
});

test('a job without stages cannot run', (t) => {
  t.throws(() => new Job({ jobId: 'empty' }).createRunner(), { message: /has no stages/ });
});
