import test from 'ava';
import * as lancedb from '@lancedb/lancedb';
import { Field, Float64, Null, Schema, Utf8, makeData, makeVector, tableFromArrays, vectorFromArray, Table as ArrowTable } from 'apache-arrow';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  FileSource, Job, LanceSink, LanceTableSource, OperatorError, Stage, TableCommitError, TableError, TableNotFoundError, TableSchemaError,
  type ErrorPolicy, type LanceRange, type LanceSinkConfig,
} from '../lib/index.js';
import { createLogger } from '../lib/logger.js';
import { refuseBadRecord } from '../lib/operator.js';
import { CheckpointStore } from '../state/checkpoint-store.js';
import { openStateBackend } from '../state/open-state-backend.js';
import { lanceLocation } from '../operators/lance/lance-location.js';
import { LanceStaging } from '../operators/lance/lance-staging.js';
import { LanceCommitter } from '../operators/lance/lance-committer.js';
import { concatToSchema } from '../operators/lance/lance-arrow.js';
import { LanceTargetSchema } from '../operators/lance/lance-target-schema.js';
import { CollectSink, collected } from './support/collect-sink.js';
import { isolatedState, readJsonLinesDir, tempDir, writeIdFiles } from './support/files.js';
import { columnSorted, itemRows, openLance, range, stagedTables } from './support/lance-tables.js';

const context = (stage: string) => ({ jobId: 'plan', stage, workerIndex: 0, parallelism: 1, logger: createLogger({ logLevel: 'warn' }), badRecord: refuseBadRecord });

/** A table of 8500 items in three fragments (3000, 5000 and 500 rows), every 7th id deleted. */
async function itemsTable(dir: string): Promise<string> {
  const db = await lancedb.connect(dir);
  const table = await db.createTable('items', itemRows(0, 3000));
  await table.add(itemRows(3000, 5000));
  await table.add(itemRows(8000, 500));
  await table.delete('id % 7 = 0');
  return join(dir, 'items.lance');
}

/** Runs after LanceTableSource planned its splits, before any is read (a test's change to the table). */
let afterPlanning: (() => Promise<void>) | undefined;

class PlanThenChange extends LanceTableSource {
  override async planSplits(): Promise<LanceRange[]> {
    const ranges = await super.planSplits();
    await afterPlanning?.();
    return ranges;
  }
}

test.serial('LanceTableSource reads the columns asked for of the rows the filter keeps, by fragment and row range, pinned to the version it planned', async (t) => {
  const uri = await itemsTable(await tempDir());
  afterPlanning = async () => {
    const table = await openLance(uri);
    await table.add(itemRows(100_000, 50));
    await table.delete('id < 1000');
  };
  const job = new Job({ jobId: 'lance-read' });
  job.addStage(new Stage('items', PlanThenChange, { uri, columns: ['id', 'name'], filter: 'id >= 100', batchRows: 1000 }, 2));
  job.addStage(new Stage('collect', CollectSink, { name: 'lance-read' }, 1), ['items']);
  const summary = await job.createRunner(isolatedState()).run();
  afterPlanning = undefined;

  const expected = range(100, 8500).filter((id) => id % 7 !== 0);
  const rows = collected.get('lance-read')!;
  t.deepEqual(rows.map((row) => Number(row.id)).sort((a, b) => a - b), expected, 'the rows of the version planned: neither the rows added nor those deleted since');
  t.true(rows.every((row) => row.name === `n${row.id}` && !('score' in row)), 'only the columns asked for');
  t.is(summary.stages.find((stage) => stage.stage === 'items')!.splitsPlanned, 9, 'fragments of 3000, 5000 and 500 rows make 3 + 5 + 1 splits of at most 1000 rows');
});

test('LanceTableSource plans the same ranges each time, none overlapping, each inside one fragment; a missing table is named', async (t) => {
  const uri = await itemsTable(await tempDir());
  const source = new LanceTableSource({ uri, batchRows: 2000 }, context('items'));
  const first = await source.planSplits();
  t.deepEqual(await source.planSplits(), first);
  t.true(first.every((r) => r.rows > 0 && r.rows <= 2000), 'at most batchRows rows per range');
  const seen = new Set<string>();
  for (const r of first) {
    for (let offset = r.start; offset < r.end; offset++) {
      const key = `${r.fragment}:${offset}`;
      t.false(seen.has(key), `offset ${key} is in one range only`);
      seen.add(key);
    }
  }
  t.is(first.reduce((sum, r) => sum + r.rows, 0), 8500 - Math.ceil(8500 / 7), 'the ranges hold every live row');
  t.deepEqual([...new Set(first.map((r) => r.fragment))], [0, 1, 2]);
  const missing = new LanceTableSource({ uri: join(await tempDir(), 'none.lance') }, context('items'));
  const error = await t.throwsAsync(missing.planSplits(), { instanceOf: TableNotFoundError });
  t.regex(error!.message, /none\.lance/);
});

function sinkJob(jobId: string, input: string, sink: LanceSinkConfig, options: { parallelism?: number; everyRecords?: number; onError?: ErrorPolicy } = {}): Job {
  const job = new Job({ jobId, checkpointIntervalRecords: options.everyRecords ?? 4000, checkpointIntervalSecs: 0 });
  job.addStage(new Stage('source', FileSource, { paths: join(input, 'in'), format: 'jsonl', batchRows: 1000 }, 1));
  job.addStage(new Stage('sink', LanceSink, sink, options.parallelism ?? 2, options.onError ? { onError: options.onError } : {}), ['source']);
  return job;
}

const PER_FILE = 1000;

/** `files` JSON lines files of `{ id, score }`, score id / 2, except in file `stringScores`, where score is a string. */
async function scoreFiles(dir: string, files: number, stringScores?: number): Promise<void> {
  await mkdir(join(dir, 'in'), { recursive: true });
  for (let f = 0; f < files; f++) {
    const ids = range(f * PER_FILE, (f + 1) * PER_FILE);
    const lines = ids.map((id) => JSON.stringify({ id, score: f === stringScores ? `s${id}` : id / 2 }));
    await writeFile(join(dir, 'in', `part-${f}.jsonl`), `${lines.join('\n')}\n`);
  }
}

test.serial('LanceSink with two workers commits each checkpoint as one Lance version; create, append and overwrite', async (t) => {
  const dir = await tempDir();
  await writeIdFiles(dir, 4, 5000);
  const uri = join(dir, 'out', 'ids.lance');

  const state = isolatedState();
  await sinkJob('lance-create', dir, { uri }).createRunner(state).run();
  const checkpoints = await new CheckpointStore(openStateBackend(state.stateBackend), 'lance-create').highestId();
  let table = await openLance(uri);
  t.deepEqual(await columnSorted(table, 'id'), range(0, 20_000));
  const versions = await table.listVersions();
  // Version 1 is the empty table; every later one is one checkpoint's commit of both workers' rows.
  t.true(versions.length - 1 >= 2 && versions.length - 1 <= checkpoints, `${versions.length - 1} commits for ${checkpoints} checkpoints`);
  const tags = Object.keys(await (await table.tags()).list()).sort();
  t.is(tags.length, 2);
  t.regex(tags[0]!, /^solstice-lance_create_[0-9a-f]{8}-sink$/, 'the job\'s tag, naming the version it last committed');
  t.regex(tags[1]!, /^solstice-lance_create_[0-9a-f]{8}-sink-run-\w+$/, 'and its run\'s');
  t.is(await (await table.tags()).getVersion(tags[0]!), await table.version());
  t.deepEqual(await stagedTables(uri), [], 'nothing left staged');

  const again = await t.throwsAsync(sinkJob('lance-create-again', dir, { uri }).createRunner(isolatedState()).run(), { instanceOf: TableError });
  t.regex(again!.message, /ids\.lance' exists \(this job did not make it\) and LanceSink's mode is 'create'/);
  // The same job run again (it completed, so it starts over) would add its rows to its earlier run's.
  const rerun = await t.throwsAsync(sinkJob('lance-create', dir, { uri }).createRunner(state).run(), { instanceOf: TableError });
  t.regex(rerun!.message, /ids\.lance' exists \(an earlier run of this job made it\)/);
  t.deepEqual(await columnSorted(await openLance(uri), 'id'), range(0, 20_000));

  await sinkJob('lance-append', dir, { uri, mode: 'append' }).createRunner(isolatedState()).run();
  table = await openLance(uri);
  t.deepEqual(await columnSorted(table, 'id'), [...range(0, 20_000), ...range(0, 20_000)].sort((a, b) => a - b));

  const before = await table.version();
  await sinkJob('lance-overwrite', dir, { uri, mode: 'overwrite' }, { everyRecords: 2000 }).createRunner(isolatedState()).run();
  table = await openLance(uri);
  t.deepEqual(await columnSorted(table, 'id'), range(0, 20_000), 'the overwrite replaced every row');
  t.is(await table.version(), before + 1, 'in one commit, at the end, whatever the checkpoints before');
  t.deepEqual(await stagedTables(uri), []);
});

test('the committer of a commit cut short knows from the table whether its add landed, and adds the rows once', async (t) => {
  const logger = createLogger({ logLevel: 'warn' });
  const part = (ids: number[]) => tableFromArrays({ id: Float64Array.from(ids) });
  for (const cut of ['before its add', 'after its add', 'while it dropped the staged parts'] as const) {
    const landed = cut !== 'before its add';
    const location = lanceLocation(join(await tempDir(), 'cut.lance'), undefined, 'test');
    const staging = new LanceStaging(location, 'job', 'sink');
    const table = await (await lancedb.connect(location.database)).createTable('cut', [{ id: -1 }]);
    await (await table.tags()).create('solstice-job-sink', 1);
    await staging.write(0, 3, 'source-00000', part([1, 2, 3]));
    await staging.write(1, 3, 'source-00001', part([4, 5]));
    // What a committer killed after its add (or before it) leaves: the intent tag on the version it began from.
    await (await table.tags()).create('solstice-job-sink-c3', await table.version());
    if (landed) await table.add([1, 2, 3, 4, 5].map((id) => ({ id })));
    if (cut === 'while it dropped the staged parts') {
      await (await table.tags()).update('solstice-job-sink', await table.version());
      await staging.drop((await staging.list()).slice(0, 1));
    }
    await new LanceCommitter(location, staging, 'append', 'job', 'sink', logger).commit(3, false, []);
    t.deepEqual(await columnSorted(await openLance(location.uri), 'id'), [-1, 1, 2, 3, 4, 5], `killed ${cut}: the rows are in once`);
    t.deepEqual(await staging.list(), []);
    t.deepEqual(Object.keys(await (await table.tags()).list()), ['solstice-job-sink'], 'the intent is gone');
  }

  const location = lanceLocation(join(await tempDir(), 'other.lance'), undefined, 'test');
  const staging = new LanceStaging(location, 'job', 'sink');
  const table = await (await lancedb.connect(location.database)).createTable('other', [{ id: -1 }]);
  await staging.write(0, 3, 'source-00000', part([1, 2, 3]));
  await (await table.tags()).create('solstice-job-sink-c3', await table.version());
  await table.add([{ id: 100 }]);
  const error = await t.throwsAsync(new LanceCommitter(location, staging, 'append', 'job', 'sink', logger).commit(3, false, []), { instanceOf: TableCommitError });
  t.regex(error!.message, /another writer changed the table/);
  t.deepEqual((await staging.list()).map((p) => p.epoch), [3], 'the staged rows are kept');
});

test.serial('a split with a column of another type than the table\'s is refused as the sink processes it: under onError fail the job fails at once, naming the table, the column and both types', async (t) => {
  const dir = await tempDir();
  await scoreFiles(dir, 6, 5);
  const uri = join(dir, 'out', 'scores.lance');
  const error = await t.throwsAsync(sinkJob('lance-mixed', dir, { uri }).createRunner(isolatedState()).run(), { instanceOf: OperatorError });
  t.regex(error!.message, /^Stage 'sink' failed on split '[^']+': The rows of split '[^']+' cannot go into Lance table '[^']*scores\.lance'/);
  t.regex(error!.message, /column 'score' is Utf8 in them, where the table has Float64/);
  t.true(error!.cause instanceof TableSchemaError, 'the cause, rebuilt from the worker, is TableSchemaError');
  t.like(error!.cause, { uri, column: 'score', tableType: 'Float64', rowsType: 'Utf8' });
});

test.serial('under onError dead-letter on the sink, a split of another schema becomes dead letters and every other row is in the table once', async (t) => {
  const dir = await tempDir();
  await scoreFiles(dir, 6, 5);
  const uri = join(dir, 'out', 'scores.lance');
  const deadLetters = join(dir, 'dead');
  const summary = await sinkJob('lance-mixed-dead', dir, { uri }, { onError: 'dead-letter' }).createRunner({ ...isolatedState(), deadLetter: deadLetters }).run();

  const rows = await (await openLance(uri)).query().toArray();
  t.deepEqual(rows.map((row) => Number(row.id)).sort((a, b) => a - b), range(0, 5 * PER_FILE), 'the rows of the good files, each once');
  t.true(rows.every((row) => row.score === Number(row.id) / 2));
  const letters = await readJsonLinesDir(join(deadLetters, 'sink'));
  t.deepEqual(letters.map((letter) => Number(JSON.parse(String(letter.record)).id)).sort((a, b) => a - b), range(5 * PER_FILE, 6 * PER_FILE), 'the rows of the file with string scores');
  t.true(letters.every((letter) => letter.error === 'TableSchemaError' && /column 'score' is Utf8 in them, where the table has Float64/.test(String(letter.message))));
  t.is(summary.stages.find((stage) => stage.stage === 'sink')!.deadLetters, PER_FILE);
  t.deepEqual(await stagedTables(uri), [], 'nothing left staged');
});

test.serial('appending to a table of another schema: a column missing but nullable in the table fits; a column of another type fails the job at once and leaves the table as it was', async (t) => {
  const dir = await tempDir();
  const uri = join(dir, 'out', 'items.lance');
  const db = await lancedb.connect(join(dir, 'out'));
  const schema = new Schema([new Field('id', new Float64(), false), new Field('name', new Utf8(), true), new Field('score', new Float64(), true)]);
  const table = await db.createEmptyTable('items', schema);
  await table.add(itemRows(100_000, 10));

  // No `name` in the input.
  await scoreFiles(dir, 2);
  await sinkJob('lance-append-fits', dir, { uri, mode: 'append' }).createRunner(isolatedState()).run();
  const rows = await (await openLance(uri)).query().where('id < 100000').toArray();
  t.deepEqual(rows.map((row) => Number(row.id)).sort((a, b) => a - b), range(0, 2 * PER_FILE));
  t.true(rows.every((row) => row.name === null && row.score === Number(row.id) / 2));

  const other = await tempDir();
  await scoreFiles(other, 3, 1);
  const version = await (await openLance(uri)).version();
  const error = await t.throwsAsync(sinkJob('lance-append-other', other, { uri, mode: 'append' }).createRunner(isolatedState()).run(), { instanceOf: OperatorError });
  t.like(error!.cause, { uri, column: 'score', tableType: 'Float64', rowsType: 'Utf8', createdFrom: undefined });
  t.regex(error!.message, /cannot go into Lance table '[^']*items\.lance': column 'score' is Utf8 in them, where the table has Float64$/);
  t.is(await (await openLance(uri)).version(), version, 'nothing committed');
});

test('what a Lance table can take, checked against an existing table and one the first commit will create, is what concatToSchema builds', async (t) => {
  const dir = await tempDir();
  const location = lanceLocation(join(dir, 'items.lance'), undefined, 'test');
  const staging = new LanceStaging(location, 'job', 'sink');
  const schema = new Schema([new Field('id', new Float64(), false), new Field('name', new Utf8(), true), new Field('score', new Float64(), true)]);
  await (await lancedb.connect(dir)).createEmptyTable('items', schema);
  const nulls = (length: number) => makeVector(makeData({ type: new Null(), length, nullCount: length }));
  const ids = vectorFromArray([1, 2], new Float64());

  const existing = new LanceTargetSchema(location, staging, 'append');
  const fits = new ArrowTable({ id: ids, score: nulls(2) });
  await existing.check(fits, 'fits', 1);
  t.deepEqual(concatToSchema([{ name: 'fits', table: fits }], schema).toArray().map((row) => row.toJSON()), [{ id: 1, name: null, score: null }, { id: 2, name: null, score: null }], 'a Null column and a missing nullable one are nulls');
  const refused = async (rows: ArrowTable, fields: Record<string, unknown>) => {
    const error = await t.throwsAsync(existing.check(rows, 'x', 1), { instanceOf: TableSchemaError });
    t.like(error, { uri: location.uri, rows: "split 'x'", ...fields });
    t.throws(() => concatToSchema([{ name: 'x', table: rows }], schema), { instanceOf: TypeError });
    return error!.message;
  };
  t.regex(await refused(new ArrowTable({ id: ids, tag: vectorFromArray(['a', 'b'], new Utf8()) }), { column: 'tag', tableType: undefined, rowsType: 'Utf8' }), /they have column 'tag' \(Utf8\), which the table has not/);
  t.regex(await refused(new ArrowTable({ score: vectorFromArray([1, 2], new Float64()) }), { column: 'id', rowsType: undefined }), /they have no column 'id', and the table's \(Float64\) is not nullable/);
  t.regex(await refused(new ArrowTable({ id: vectorFromArray([1, null], new Float64()) }), { column: 'id' }), /column 'id' has nulls, and the table's \(Float64\) is not nullable/);

  // No table yet: it will take the columns of the first split, a Null column the type of the first split with a value in it.
  const created = new LanceTargetSchema(lanceLocation(join(dir, 'new.lance'), undefined, 'test'), new LanceStaging(lanceLocation(join(dir, 'new.lance'), undefined, 'test'), 'job', 'sink'), 'create');
  await created.check(new ArrowTable({ id: ids, score: nulls(2) }), 'first', 1);
  await created.check(new ArrowTable({ id: ids, score: vectorFromArray(['a', 'b'], new Utf8()) }), 'second', 1);
  await created.check(new ArrowTable({ id: ids }), 'third', 1);
  const error = await t.throwsAsync(created.check(new ArrowTable({ id: ids, score: vectorFromArray([1, 2], new Float64()) }), 'fourth', 1), { instanceOf: TableSchemaError });
  t.regex(error!.message, /^The rows of split 'fourth' cannot go into Lance table '[^']*new\.lance' \(not created yet: it takes the columns of split 'first'\): column 'score' is Float64 in them, where the table has Utf8$/);
});
