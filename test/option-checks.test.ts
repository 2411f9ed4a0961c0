import test from 'ava';
import { FileSource, Job, JobDefinitionError, MapOperator, PrintSink, Stage } from '../lib/index.js';

/** What a new user mistypes: each is refused at once, naming the option, the value and what is allowed. */
const mistakes: [string, () => unknown, RegExp][] = [
  ['a misspelt Job option', () => new Job({ jobId: 'j', checkpointIntervalSec: 5 } as never),
    /^Job 'j': unknown option 'checkpointIntervalSec' \(did you mean 'checkpointIntervalSecs'\?\); the options are jobId, checkpointIntervalSecs, /],
  ['a negative interval', () => new Job({ jobId: 'j', checkpointIntervalSecs: -5 }), /^Job 'j': checkpointIntervalSecs must be a number of seconds, 0 or more, got -5$/],
  ['an interval given as text', () => new Job({ jobId: 'j', checkpointIntervalSecs: 'abc' as never }), /^Job 'j': checkpointIntervalSecs must be a number of seconds, 0 or more, got "abc"$/],
  ['a misspelt supervision option', () => new Job({ jobId: 'j', supervision: { maxRestart: 5 } as never }), /unknown option 'supervision\.maxRestart' \(did you mean 'maxRestarts'\?\); the options of supervision are maxRestarts, /],
  ['retainCheckpoints 0', () => new Job({ jobId: 'j', retainCheckpoints: 0 }), /retainCheckpoints must be a whole number, 1 or more, got 0/],
  ['retainRuns 0', () => new Job({ jobId: 'j', retainRuns: 0 }), /retainRuns must be a whole number, 1 or more, got 0/],
  ['a job id that would make folders', () => new Job({ jobId: 'a/b' }), /jobId must be a name without '\/'/],
  ['an empty job id', () => new Job({ jobId: '' }), /jobId must be a non-empty string, got ""/],
  ['unknown Stage options', () => new Stage('s', MapOperator, { fn: (row) => row }, 1, { maxBuffered: 3, foo: 1 } as never),
    /^Stage 's': unknown option 'maxBuffered' \(did you mean 'maxBufferedSplits'\?\), 'foo'; the options are maxBufferedSplits, supervision, /],
  ['an unknown error policy', () => new Stage('s', MapOperator, { fn: (row) => row }, 1, { onError: 'ignore' as never }), /onError must be 'fail', 'skip' or 'dead-letter', got "ignore"/],
  ['a class that is not an Operator', () => new Stage('s', class NotAnOperator {} as never, {}), /the operator must be a class extending Operator .*got 'NotAnOperator'/],
  ['a Job option of the wrong kind', () => new Job({ jobId: 'j', chain: 'no' as never }), /chain must be true or false, got "no"/],
];

for (const [what, make, message] of mistakes) {
  test(`refused at once: ${what}`, (t) => {
    t.throws(make, { instanceOf: JobDefinitionError, message });
  });
}

/** A PrintSink reading `upstream`: the job's end, so that it may run. */
function printing(upstream: string): [Stage, string[]] {
  return [new Stage('print', PrintSink, {}, 1), [upstream]];
}

test('a good Job and Stage are taken as they are', (t) => {
  const job = new Job({ jobId: 'ok', checkpointIntervalSecs: 0, supervision: { maxRestarts: 0, failover: 'job' }, deadLetter: { path: 'dead' } });
  job.addStage(new Stage('source', FileSource, { paths: 'in' }, [1, 4], { onError: 'skip', maxRetries: 2, splitTimeoutSecs: 0.5 }));
  t.is(job.options.supervision?.failover, 'job');
  t.is(job.getStage('source').options.onError, 'skip');
});

test('an operator config a stage cannot use fails the run before any actor starts, naming the stage and the option', async (t) => {
  const { FileSink, OperatorConfigError, KeyByOperator } = await import('../lib/index.js');
  const cases: [string, (job: Job) => void, RegExp][] = [
    ['a misspelt CSV option', (job) => job.addStage(new Stage('read', FileSource, { paths: 'in', csv: { delimeter: ';' } as never }, 1)).addStage(...printing('read')),
      /^Stage 'read': FileSource csv: unknown option 'delimeter' \(did you mean 'delimiter'\?\)/],
    ['an unknown format', (job) => job.addStage(new Stage('read', FileSource, { paths: 'in', format: 'xml' as never }, 1)).addStage(...printing('read')), /^Stage 'read': FileSource format must be jsonl, json, csv or parquet, got 'xml'/],
    ['an unknown Parquet compression', (job) => {
      job.addStage(new Stage('read', FileSource, { paths: 'in' }, 1));
      job.addStage(new Stage('write', FileSink, { path: 'out', parquet: { compression: 'foo' as never } }, 1), ['read']);
    }, /^Stage 'write': parquet\.compression must be 'uncompressed', 'snappy', 'gzip', 'zstd', 'lz4', got "foo"/],
    ['a misspelt row operator option', (job) => {
      job.addStage(new Stage('read', FileSource, { paths: 'in' }, 1));
      job.addStage(new Stage('key', KeyByOperator, { fn: (row: { id: number }) => String(row.id), keyfield: 'k' } as never, 1), ['read']).addStage(...printing('key'));
    }, /^Stage 'key': KeyByOperator: unknown option 'keyfield' \(did you mean 'keyField'\?\)/],
  ];
  for (const [what, build, message] of cases) {
    const job = new Job({ jobId: 'configs' });
    build(job);
    await t.throwsAsync(job.createRunner().run(), { instanceOf: OperatorConfigError, message }, what);
  }
});

test("a log level that does not exist is refused by name, not by pino's crash", async (t) => {
  const { ArgumentError } = await import('../lib/index.js');
  const job = new Job({ jobId: 'log-level' });
  job.addStage(new Stage('source', FileSource, { paths: 'in' }, 1)).addStage(...printing('source'));
  const run = async () => job.createRunner({ logLevel: 'nope' as never }).run();
  await t.throwsAsync(run, { instanceOf: ArgumentError, message: /^logLevel must be 'fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent', got "nope"$/ });
});

test('--flag false reaches createJob as false, not as the truthy text "false"', async (t) => {
  const { runCli } = await import('./support/cli.js');
  const { PACKAGE_ENTRY_URL, tempDir } = await import('./support/files.js');
  const { writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const dir = await tempDir();
  await writeFile(join(dir, 'in.jsonl'), '{"id":1}\n');
  await writeFile(join(dir, 'flags.mjs'), `
import { FileSink, FileSource, Job, Stage } from '${PACKAGE_ENTRY_URL}';
export function createJob(jobId, config) {
  if (config.dryRun !== false || config.verbose !== true) throw new Error('flags arrived as ' + JSON.stringify([config.dryRun, config.verbose]));
  const job = new Job({ jobId });
  job.addStage(new Stage('source', FileSource, { paths: 'in.jsonl' }, 1));
  job.addStage(new Stage('sink', FileSink, { path: 'out', format: 'jsonl' }, 1), ['source']);
  return job;
}
`);
  const result = await runCli(['run', '--workflow', './flags.mjs', '--job-id', 'flags', '--dry-run', 'false', '--verbose', 'true', '--progress-interval', '0'], { cwd: dir });
  t.is(result.code, 0, result.stderr);
});

test('messages that say what to do: an unknown CSV column type, a map fn that returns nothing, a flat map fn that returns no iterable, a quote never closed, --job-id given twice', async (t) => {
  const { FileSink, FlatMapOperator, OperatorConfigError, OperatorError } = await import('../lib/index.js');
  const { runCli } = await import('./support/cli.js');
  const { isolatedState, tempDir } = await import('./support/files.js');
  const { writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const dir = await tempDir();
  await writeFile(join(dir, 'rows.jsonl'), '{"id":1}\n{"id":2}\n');
  await writeFile(join(dir, 'quoted.csv'), 'id,text\n1,"a line\nand another"\n2,"never closed\n');
  const run = (source: ConstructorParameters<typeof FileSource>[0], transform?: Stage) => {
    const job = new Job({ jobId: 'messages' });
    job.addStage(new Stage('source', FileSource, source, 1));
    if (transform) job.addStage(transform, ['source']);
    job.addStage(new Stage('sink', FileSink, { path: join(dir, 'out'), format: 'jsonl' }, 1), [transform ? transform.name : 'source']);
    return job.createRunner(isolatedState()).run();
  };
  await t.throwsAsync(run({ paths: join(dir, 'rows.jsonl'), csv: { columnTypes: { code: 'date' as never } } }), {
    instanceOf: OperatorConfigError, message: /csv\.columnTypes\.code must be 'string', 'number', 'integer', 'boolean', got "date"/,
  });
  await t.throwsAsync(run({ paths: join(dir, 'rows.jsonl') }, new Stage('map', MapOperator, { fn: () => undefined as never }, 1)), {
    instanceOf: OperatorError, message: /row 1 \(\{"id":1\}\): MapOperator fn must return a row \(an object\), got undefined \(did it forget to return\?\)/,
  });
  await t.throwsAsync(run({ paths: join(dir, 'rows.jsonl') }, new Stage('flat', FlatMapOperator, { fn: (row) => row as never }, 1)), {
    instanceOf: OperatorError, message: /FlatMapOperator fn must return an iterable of rows \(an array, a generator\), got \{"id":1\}/,
  });
  await t.throwsAsync(run({ paths: join(dir, 'quoted.csv') }), { message: /Quote Not Closed.*set csv\.multilineFields: true/ });
  const twice = await runCli(['run', '--workflow', 'simple_etl', '--job-id', 'a', '--job-id', 'b'], { cwd: dir });
  t.is(twice.code, 1);
  t.regex(twice.stderr, /--job-id is given 2 times \('a', 'b'\): give it once/);
});

test('a file:// state location without an absolute path is refused, saying how to write it', async (t) => {
  const { StateLocationError } = await import('../lib/index.js');
  const job = new Job({ jobId: 'file-url' });
  job.addStage(new Stage('source', FileSource, { paths: 'in' }, 1)).addStage(...printing('source'));
  await t.throwsAsync(job.createRunner({ stateBackend: 'file://relative/state' }).run(), {
    instanceOf: StateLocationError, message: /^State backend 'file:\/\/relative\/state': a file:\/\/ URL needs an absolute path, as in file:\/\/\/var\/solstice \(three slashes\)/,
  });
});

test('cluster.json and placements refuse keys they do not know and hosts that name all interfaces', async (t) => {
  const { ClusterConfigError, PlacementError, readClusterConfig } = await import('../lib/index.js');
  const { runCli } = await import('./support/cli.js');
  const { tempDir } = await import('./support/files.js');
  const { writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const dir = await tempDir();
  await writeFile(join(dir, 'cluster.secret'), 'a'.repeat(32));
  const cluster = async (hosts: unknown) => {
    await writeFile(join(dir, 'cluster.json'), JSON.stringify({ secretFile: 'cluster.secret', hosts }));
    return readClusterConfig(join(dir, 'cluster.json'));
  };
  await t.throwsAsync(cluster([{ host: '10.0.0.2', slot: 2 }]), { instanceOf: ClusterConfigError, message: /hosts\[0\]: unknown key 'slot' \(did you mean 'slots'\?\); the keys are host, port, slots$/ });
  await t.throwsAsync(cluster([{ host: '0.0.0.0' }]), { instanceOf: ClusterConfigError, message: /hosts\[0\]\.host must be an address the other hosts reach, not '0\.0\.0\.0'/ });

  const job = new Job({ jobId: 'placed' });
  job.addStage(new Stage('source', FileSource, { paths: 'in' }, 1)).addStage(...printing('source'));
  await t.throwsAsync(job.createRunner({ placement: { Workers: { mode: 'forked' } } as never }).run(), {
    instanceOf: PlacementError, message: /the placement: unknown key 'Workers' \(did you mean 'Worker'\?\)/,
  });
  await writeFile(join(dir, 'placement.json'), '[1,2]');
  const listed = await runCli(['run', '--workflow', 'simple_etl', '--job-id', 'placed', '--placement', join(dir, 'placement.json')], { cwd: dir });
  t.is(listed.code, 1);
  t.regex(listed.stderr, /the placement must be an object with Worker, MetaService, GlobalStateMaster, StageMaster, stages, hosts, got \[1,2\]/);
});

test('a state location that cannot be reached fails the run before any actor starts, naming it', async (t) => {
  const { StateBackendError, FileSink } = await import('../lib/index.js');
  const { tempDir } = await import('./support/files.js');
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = await tempDir();
  const job = new Job({ jobId: 'unreachable' });
  job.addStage(new Stage('source', FileSource, { paths: 'in' }, 1)).addStage(new Stage('sink', FileSink, { path: join(dir, 'out') }, 1), ['source']);
  const runner = job.createRunner({ stateBackend: 'webhdfs://127.0.0.1:9/solstice?user=solstice' });
  await t.throwsAsync(runner.run(), { instanceOf: StateBackendError, message: /^WebHDFS 127\.0\.0\.1:9: list \/solstice\/unreachable\/checkpoints failed: .*ECONNREFUSED/ });
  t.is((await runner.status()).runner, 'created', 'no actor was started');
  t.false(existsSync(join(dir, 'out')));
});
