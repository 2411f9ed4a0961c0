import test from 'ava';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointCorruptError, FileSink, FileSource, Job, JobDefinitionError, Stage } from '../lib/index.js';
import { checkWholeChaosOutput } from './support/chaos-expected.js';
import { writeChaosInput } from './support/chaos-data.js';
import { runCli, startCli, untilBeforeExit } from './support/cli.js';
import { publishedCheckpointIds, readJsonLinesDir, tempDir } from './support/files.js';
import { startWebHdfsServer, type WebHdfsServer } from './support/webhdfs-server.js';

const TRACED_WORKFLOW = fileURLToPath(new URL('fixtures/traced_workflow.js', import.meta.url));

let server: WebHdfsServer;

test.before(async () => {
  server = await startWebHdfsServer();
});

test.after.always(async () => {
  await server?.stop();
});

interface LogLine {
  time: number;
  msg: string;
}

/** The framework's JSON log lines among what the CLI wrote on stderr. */
function logLines(stderr: string): LogLine[] {
  return stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine);
}

test.serial('the final checkpoint is retried with growing pauses while the state backend is down, then the job fails with CheckpointError and resumes once it is back', async (t) => {
  const cwd = await tempDir('solstice-final-');
  const { records, totals } = await writeChaosInput(join(cwd, 'in'), 2, 20_000);
  const output = join(cwd, 'out');
  const retrySecs = 2;
  const args = ['run', '--workflow', TRACED_WORKFLOW, '--job-id', 'final', '--input', join(cwd, 'in', '*.jsonl'), '--output', output,
    '--interval-secs', '0.2', '--final-retry-secs', String(retrySecs), '--progress-interval', '0.2',
    '--state-backend', `${server.url}/solstice?user=solstice`];
  const cli = startCli([...args, '--delay-ms', '15'], cwd);
  await untilBeforeExit(cli, 'its first checkpoint', () => publishedCheckpointIds(join(server.directory, 'solstice', 'final', 'checkpoints')).length > 0);
  await server.pause();
  const code = await cli.exited;
  await server.resume();

  t.is(code, 1, cli.stderr());
  t.regex(cli.stderr(), /^error: CheckpointError: Checkpoint \d+: stage '[\w-]+' could not save its part$/m);
  t.regex(cli.stderr(), /^ {2}caused by \w+: WebHDFS 127\.0\.0\.1:\d+: \w+ \/solstice\/final\/\S+ failed: .*ECONNREFUSED/m);
  const logs = logLines(cli.stderr());
  const retries = logs.filter((line) => /^retrying the final checkpoint in \d+ ms$/.test(line.msg));
  const pauses = retries.map((line) => Number(/in (\d+) ms/.exec(line.msg)![1]));
  t.true(pauses.length >= 3, `retried ${pauses.length} times`);
  t.deepEqual(pauses, [250, 500, 1000, 2000, 4000, 5000, 5000].slice(0, pauses.length), 'pauses double from 250 ms up to 5 s');
  const failures = logs.filter((line) => /^checkpoint \d+ failed; the job keeps its last completed checkpoint and goes on$/.test(line.msg));
  for (const [i, retry] of retries.entries()) {
    const next = failures.find((line) => line.time > retry.time);
    t.true(next !== undefined && next.time - retry.time >= pauses[i]!, `no checkpoint was tried during the pause of ${pauses[i]} ms`);
  }
  const firstFinalFailure = failures.filter((line) => line.time <= retries[0]!.time).at(-1)!;
  t.true(failures.at(-1)!.time - firstFinalFailure.time >= retrySecs * 1000, 'it gave up only after retrying for finalCheckpointRetrySecs');

  const listing = await runCli(['checkpoints', 'list', '--job-id', 'final', '--state-backend', `${server.url}/solstice?user=solstice`], { cwd });
  t.regex(listing.stdout, /^\d+\s+\S+\s+no$/m, 'the last good checkpoint is kept');
  t.notRegex(listing.stdout, /yes \(job complete\)/);

  const again = await runCli(args, { cwd });
  t.is(again.code, 0, again.stderr);
  t.regex(again.stdout, /^resumed from checkpoint \d+$/m);
  await checkWholeChaosOutput(t, output, records, totals);
});

test('finalCheckpointRetrySecs must be a number of seconds', (t) => {
  t.throws(() => new Job({ jobId: 'j', finalCheckpointRetrySecs: -1 }), { instanceOf: JobDefinitionError, message: /finalCheckpointRetrySecs/ });
  t.throws(() => new Job({ jobId: 'j', finalCheckpointRetrySecs: Number.NaN }), { instanceOf: JobDefinitionError });
  t.notThrows(() => new Job({ jobId: 'j', finalCheckpointRetrySecs: 0 }));
});

test('a damaged checkpoint manifest is named on restore, with the older checkpoint to restore instead, which then gives every row once', async (t) => {
  const dir = await tempDir('solstice-damaged-');
  await mkdir(join(dir, 'in'));
  await writeFile(join(dir, 'in', 'ids.jsonl'), Array.from({ length: 3000 }, (_, id) => JSON.stringify({ id })).join('\n'));
  const state = join(dir, 'state');
  const output = join(dir, 'out');
  const job = () => {
    const copy = new Job({ jobId: 'damaged', checkpointIntervalRecords: 500, checkpointIntervalSecs: 0, retainCheckpoints: 10 });
    copy.addStage(new Stage('source', FileSource, { paths: join(dir, 'in'), batchRows: 250 }, 1));
    copy.addStage(new Stage('sink', FileSink, { path: output, format: 'jsonl' }, 2), ['source']);
    return copy;
  };
  await job().createRunner({ stateBackend: state }).run();
  const ids = publishedCheckpointIds(join(state, 'damaged', 'checkpoints')).map(Number).sort((a, b) => a - b);
  t.true(ids.length >= 3, `checkpoints ${ids.join(', ')}`);
  const [older, damaged] = [ids.at(-2)!, ids.at(-1)!];
  const manifest = join(state, 'damaged', 'checkpoints', String(damaged).padStart(10, '0'), 'MANIFEST.json');
  await writeFile(manifest, (await readFile(manifest, 'utf8')).slice(0, 40));

  const error = await t.throwsAsync(job().createRunner({ stateBackend: state, restore: 'latest' }).run(), { instanceOf: CheckpointCorruptError });
  t.regex(error!.message, new RegExp(`^Checkpoint ${damaged} of job 'damaged' cannot be restored: its manifest damaged/checkpoints/${String(damaged).padStart(10, '0')}/MANIFEST.json in \\S+ is damaged \\(not JSON: .*\\); restore an older one with --restore ${older} \\(completed: ${ids.slice(0, -1).join(', ')}\\)`));
  t.deepEqual(error!.older, ids.slice(0, -1));
  const listing = await runCli(['checkpoints', 'list', '--job-id', 'damaged', '--state-backend', state]);
  t.regex(listing.stdout, new RegExp(`^${damaged}\\s+damaged: not JSON`, 'm'));

  await writeFile(manifest, '{"version": 1, "jobId": "other"}');
  await t.throwsAsync(job().createRunner({ stateBackend: state, restore: 'latest' }).run(), { message: /is damaged \(it names job "other"\)/ });

  const summary = await job().createRunner({ stateBackend: state, restore: older }).run();
  t.is(summary.resumedFrom, older);
  t.deepEqual((await readJsonLinesDir(output)).map((row) => Number(row.id)).sort((a, b) => a - b), Array.from({ length: 3000 }, (_, id) => id));
});
