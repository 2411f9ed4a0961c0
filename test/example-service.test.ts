/**
 * The HTTP service of examples/service, driven as its users drive it, with
 * fetch: simple_etl submitted and followed to its end; a long job
 * checkpointed and cancelled over HTTP, its outcome kept after it ended;
 * the errors a client gets; a failed job's error, and the bound on the
 * outcomes kept; and closing the service, which stops its jobs through their
 * AbortSignal.
 */
import test, { type ExecutionContext } from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getJob, listJobs } from '../lib/index.js';
import { CLOSING_REASON, startService } from '../examples/service/server.js';
import { sampleOrders } from '../workflows/simple_etl/sample-orders.js';
import { splitGate, valueOf } from './fixtures/gated_ids_workflow.js';
import { sameRows } from './support/compare.js';
import { publishedCheckpointIds, readJsonLinesDir, readParquetDir, sortBy, tempDir } from './support/files.js';
import { expectedOrders } from './support/orders-expected.js';
import { until } from './support/until.js';

const GATED_WORKFLOW = fileURLToPath(new URL('./fixtures/gated_ids_workflow.js', import.meta.url));
const SPLITS = 200;
const ROWS_PER_SPLIT = 50;

/** What the service answers as JSON: its status, and the body, loosely typed as a client reads it. */
interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(url: string, method = 'GET', body?: unknown): Promise<Answer> {
  const response = await fetch(url, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** A refusal: its status, and the error it names. */
function refused(t: ExecutionContext, answer: Answer, status: number, name: string, message: RegExp): void {
  t.is(answer.status, status, JSON.stringify(answer.body));
  t.is(answer.body.error?.name, name);
  t.regex(answer.body.error?.message ?? '', message);
}

interface ServerEvent {
  event: string;
  data: any;
}

/** A job's event stream, subscribed once this resolves; `events` resolves with every event once the service has ended the stream. */
async function followEvents(url: string): Promise<{ events: Promise<ServerEvent[]> }> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return { events: response.text().then(parseEvents) };
}

/** SSE text as blocks of `event:` and `data:` lines, each block ended by a blank line. */
function parseEvents(text: string): ServerEvent[] {
  return text.split('\n\n').filter((block) => block.trim() !== '').map((block) => {
    const field = (name: string) => block.split('\n').find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
    return { event: field('event')!, data: JSON.parse(field('data')!) };
  });
}

function gatedConfig(output: string) {
  return { splits: SPLITS, rowsPerSplit: ROWS_PER_SPLIT, output };
}

/** The gated job's output by split, each split present checked whole and once, each row's value by the formula. */
async function splitsWritten(t: ExecutionContext, output: string): Promise<Set<number>> {
  const rows = await readJsonLinesDir(output);
  const bySplit = new Map<number, number[]>();
  for (const row of rows) {
    t.is(row.value, valueOf(row.id as number), `row ${String(row.id)}`);
    bySplit.set(row.split as number, [...(bySplit.get(row.split as number) ?? []), row.id as number]);
  }
  for (const [split, ids] of bySplit) {
    t.deepEqual(ids.sort((a, b) => a - b), Array.from({ length: ROWS_PER_SPLIT }, (_, n) => split * ROWS_PER_SPLIT + n), `split ${split} is whole and once`);
  }
  return new Set(bySplit.keys());
}

test('simple_etl submitted over HTTP: 202 with its links, its event stream ends with done, and it writes exactly the orders over minTotal', async (t) => {
  const dir = await tempDir('solstice-service-etl-');
  const input = join(dir, 'orders.jsonl');
  const output = join(dir, 'out');
  await writeFile(input, `${[...sampleOrders(20_000, 11)].map((order) => JSON.stringify(order)).join('\n')}\n`);
  const service = await startService({ stateDir: join(dir, 'state'), eventIntervalMs: 50 });
  t.teardown(() => service.close());

  const submitted = await call(`${service.url}/jobs`, 'POST', {
    jobId: 'orders', workflow: 'simple_etl', config: { input, output, minTotal: 50, splitBytes: 100_000, parallelism: 2 }, restore: 'none',
  });
  t.is(submitted.status, 202, JSON.stringify(submitted.body));
  t.deepEqual(submitted.body, {
    jobId: 'orders', workflow: 'simple_etl', links: { self: '/jobs/orders', events: '/jobs/orders/events', checkpoints: '/jobs/orders/checkpoints', stop: '/jobs/orders/stop' },
  });
  t.is(submitted.headers.get('location'), '/jobs/orders');

  // The job may have ended before the stream is asked for: then the stream is its done event alone.
  const events = await (await followEvents(`${service.url}${submitted.body.links.events}`)).events;
  t.is(events.filter((event) => event.event === 'done').length, 1);
  const done = events.at(-1)!;
  t.is(done.event, 'done');
  t.is(done.data.outcome, 'finished', JSON.stringify(done.data));

  const expected = await expectedOrders(input, 50);
  t.true(expected.length > 5000 && expected.length < 20_000);
  sameRows(t, sortBy(await readParquetDir(output), (row) => row.order_id as number), expected);
  const sink = done.data.summary.stages.find((stage: { stage: string }) => stage.stage === 'sink');
  t.is(sink.rowsIn, expected.length);

  const inspected = await call(`${service.url}/jobs/orders`);
  t.is(inspected.status, 200);
  t.like(inspected.body, { jobId: 'orders', workflow: 'simple_etl', state: 'finished', links: { events: '/jobs/orders/events' } });
  t.deepEqual(inspected.body.summary, done.data.summary, 'the outcome stays inspectable');
  t.true(inspected.body.endedAt >= inspected.body.startedAt);
});

test('a long job: listed and inspected while it runs, checkpointed over HTTP, cancelled with a reason, and its outcome kept', async (t) => {
  const dir = await tempDir('solstice-service-long-');
  const [state, output] = [join(dir, 'state'), join(dir, 'out')];
  const gate = splitGate('long');
  gate.open(5);
  const service = await startService({ stateDir: state, workflows: { gated_ids: GATED_WORKFLOW }, eventIntervalMs: 50 });
  t.teardown(() => service.close());
  const submitted = await call(`${service.url}/jobs`, 'POST', { jobId: 'long', workflow: 'gated_ids', config: gatedConfig(output), restore: 'none' });
  t.is(submitted.status, 202, JSON.stringify(submitted.body));
  // Splits 0 to 4 pass; the job then waits at the gate, running, until the test opens it.
  let held = await gate.waitingAt(5);
  const stream = await followEvents(`${service.url}/jobs/long/events`);

  const listed = (await call(`${service.url}/jobs`)).body.jobs.find((job: { jobId: string }) => job.jobId === 'long');
  t.like(listed, { workflow: 'gated_ids', state: 'running', startedAt: listJobs().find((job) => job.jobId === 'long')?.startedAt, links: { self: '/jobs/long' } });
  const inspected = await call(`${service.url}/jobs/long`);
  t.like(inspected.body, { jobId: 'long', workflow: 'gated_ids', state: 'running', status: { runner: 'running', jobId: 'long' } });
  t.deepEqual(inspected.body.status.graph.map((node: { stage: string }) => node.stage), ['source', 'value', 'sink']);

  // A checkpoint waits for the splits in flight when it began, the held one among them: the gate opens a few splits at a
  // time until the checkpoint is complete, so that the job still runs after it.
  const checkpoint = call(`${service.url}/jobs/long/checkpoints`, 'POST');
  let complete = false;
  while (!complete) {
    const next = held + 5;
    t.true(next < SPLITS, 'the checkpoint completes while the job runs');
    gate.open(next);
    complete = await Promise.race([checkpoint.then(() => true), gate.waitingAt(next).then((index) => ((held = index), false))]);
  }
  const taken = await checkpoint;
  t.is(taken.status, 201, JSON.stringify(taken.body));
  t.regex(taken.body.checkpointId, /^\d+$/);
  t.deepEqual(publishedCheckpointIds(join(state, 'long', 'checkpoints')).map(Number), [Number(taken.body.checkpointId)], 'the checkpoint is published in the state folder');

  const stopped = await call(`${service.url}/jobs/long?reason=${encodeURIComponent('no longer needed')}`, 'DELETE');
  t.is(stopped.status, 202, JSON.stringify(stopped.body));
  t.like(stopped.body, { jobId: 'long', stopping: true, drain: false, reason: 'no longer needed' });
  // The stop is under way: the split held ends, and no more are read.
  gate.open(Infinity);

  const events = await stream.events;
  const done = events.at(-1)!;
  t.is(done.event, 'done');
  t.like(done.data, { outcome: 'stopped', error: { name: 'JobStoppedError', reason: 'no longer needed' } });
  t.true(events.some((event) => event.event === 'progress' && event.data.runner === 'running'), 'progress while it ran');
  t.like(events.find((event) => event.event === 'checkpoint')?.data, { id: Number(taken.body.checkpointId), outcome: 'completed', final: false });
  t.like(events.find((event) => event.event === 'failure')?.data, { answer: 'stopped', error: { name: 'JobStoppedError' } });
  t.true(events.every((event) => ['progress', 'checkpoint', 'failure', 'done'].includes(event.event)), events.map((event) => event.event).join(', '));

  const ended = await call(`${service.url}/jobs/long`);
  t.is(ended.status, 200);
  t.like(ended.body, { jobId: 'long', workflow: 'gated_ids', state: 'stopped', startedAt: listed.startedAt, error: { name: 'JobStoppedError', reason: 'no longer needed' } });
  t.false(listJobs().some((job) => job.jobId === 'long'));
  t.like((await call(`${service.url}/jobs`)).body.jobs.find((job: { jobId: string }) => job.jobId === 'long'), { state: 'stopped' });
  const afterward = await followEvents(`${service.url}/jobs/long/events`);
  t.deepEqual(await afterward.events, [done], 'the stream of an ended job is its done event');

  // A cancel keeps what the checkpoint committed (at least the splits read before it began) and nothing after it.
  const written = await splitsWritten(t, output);
  for (let split = 0; split < 5; split++) t.true(written.has(split), `split ${split}, read before the checkpoint, is in the output`);
  t.true(written.size < SPLITS, 'the job stopped before its end');
});

test('a client\'s mistakes get 4xx answers naming them: a bad body, an unknown workflow or option, a duplicate job id, an unknown job, a job that has ended', async (t) => {
  const dir = await tempDir('solstice-service-errors-');
  const service = await startService({ stateDir: join(dir, 'state'), workflows: { gated_ids: GATED_WORKFLOW } });
  t.teardown(() => service.close());
  const jobs = `${service.url}/jobs`;

  refused(t, await call(jobs, 'POST', '{"jobId": '), 400, 'RequestBodyError', /^The body is not JSON/);
  refused(t, await call(jobs, 'POST', [1]), 400, 'RequestBodyError', /must be a JSON object.*got an array/);
  refused(t, await call(jobs, 'POST', { workflow: 'simple_etl' }), 400, 'RequestBodyError', /^"jobId" must be a non-empty string, got nothing$/);
  refused(t, await call(jobs, 'POST', { jobId: 'x', workflow: 'simple_etl', option: 1 }), 400, 'RequestBodyError', /^Unknown field\(s\) "option"/);
  refused(t, await call(jobs, 'POST', { jobId: 'x', workflow: 'simple_etl', restore: 'yesterday' }), 400, 'RequestBodyError', /"restore" must be/);

  const unknownWorkflow = await call(jobs, 'POST', { jobId: 'x', workflow: 'no_such_flow' });
  refused(t, unknownWorkflow, 422, 'JobRefusedError', /'no_such_flow': not a workflow this service runs; it runs .*gated_ids/);
  t.regex(unknownWorkflow.body.error.message, /simple_etl/);
  t.like(unknownWorkflow.body.error.cause, { name: 'WorkflowNotFoundError', details: { workflow: 'no_such_flow' } });
  const badOption = await call(jobs, 'POST', { jobId: 'x', workflow: 'simple_etl', config: { minTotl: 5 } });
  refused(t, badOption, 422, 'JobRefusedError', /minTotl/);
  t.is(badOption.body.error.cause.name, 'ArgumentError');

  const gate = splitGate('twice');
  const first = await call(jobs, 'POST', { jobId: 'twice', workflow: 'gated_ids', config: gatedConfig(join(dir, 'out')), restore: 'none' });
  t.is(first.status, 202, JSON.stringify(first.body));
  const second = await call(jobs, 'POST', { jobId: 'twice', workflow: 'gated_ids', config: gatedConfig(join(dir, 'out2')), restore: 'none' });
  refused(t, second, 409, 'DuplicateJobError', /^Job 'twice' is already running in this process/);
  t.like(second.body.error.cause, { name: 'ArgumentError', details: { argument: 'jobId', value: 'twice' } });
  t.truthy(getJob('twice'), 'the first run goes on');

  for (const [method, path] of [['GET', '/jobs/nobody'], ['GET', '/jobs/nobody/events'], ['POST', '/jobs/nobody/checkpoints'], ['DELETE', '/jobs/nobody'], ['POST', '/jobs/nobody/stop']] as const) {
    refused(t, await call(`${service.url}${path}`, method), 404, 'UnknownJobError', /^No job 'nobody' runs in this process/);
  }
  const wrongMethod = await call(jobs, 'PUT');
  refused(t, wrongMethod, 405, 'RouteError', /^PUT is not served here; GET and POST are$/);
  t.is(wrongMethod.headers.get('allow'), 'GET, POST');
  refused(t, await call(`${service.url}/metrics`), 404, 'RouteError', /^Nothing is served at \/metrics/);
  refused(t, await call(`${jobs}/twice?drain=maybe`, 'DELETE'), 400, 'RequestError', /^\?drain takes true or false, got 'maybe'$/);

  t.is((await call(`${jobs}/twice/stop?drain=false`, 'POST')).status, 202);
  gate.open(Infinity);
  const done = (await (await followEvents(`${jobs}/twice/events`)).events).at(-1)!;
  t.like(done, { event: 'done', data: { outcome: 'stopped', error: { name: 'JobStoppedError', reason: 'stopped over HTTP' } } });
  refused(t, await call(`${jobs}/twice/checkpoints`, 'POST'), 409, 'JobNotRunningError', /^Job 'twice' is not running \(it is stopped\): a checkpoint needs a running job$/);
  refused(t, await call(`${jobs}/twice`, 'DELETE'), 409, 'JobNotRunningError', /^Job 'twice' is not running \(it is stopped\): a stop needs a running job$/);
});

test('a failed job\'s error stays inspectable after it ended, and only the newest keepEndedJobs outcomes are kept', async (t) => {
  const dir = await tempDir('solstice-service-kept-');
  splitGate('short').open(Infinity);
  const service = await startService({ stateDir: join(dir, 'state'), workflows: { gated_ids: GATED_WORKFLOW }, keepEndedJobs: 1 });
  t.teardown(() => service.close());
  const runToEnd = async (submission: object): Promise<ServerEvent> => {
    const submitted = await call(`${service.url}/jobs`, 'POST', submission);
    t.is(submitted.status, 202, JSON.stringify(submitted.body));
    return (await (await followEvents(`${service.url}${submitted.body.links.events}`)).events).at(-1)!;
  };

  const short = await runToEnd({ jobId: 'short', workflow: 'gated_ids', config: { splits: 3, rowsPerSplit: ROWS_PER_SPLIT, output: join(dir, 'out') }, restore: 'none' });
  t.like(short, { event: 'done', data: { outcome: 'finished' } });
  t.deepEqual([...await splitsWritten(t, join(dir, 'out'))].sort(), [0, 1, 2]);
  t.like(await call(`${service.url}/jobs/short`), { status: 200, body: { state: 'finished' } });

  const missing = join(dir, 'no-such-orders.jsonl');
  const broken = await runToEnd({ jobId: 'broken', workflow: 'simple_etl', config: { input: missing, output: join(dir, 'broken') }, restore: 'none' });
  t.like(broken, { event: 'done', data: { outcome: 'failed' } });
  const ended = await call(`${service.url}/jobs/broken`);
  t.like(ended.body, { state: 'failed', error: { name: 'InputNotFoundError', message: `Input not found: '${missing}' matches no file`, details: { path: missing } } });
  refused(t, await call(`${service.url}/jobs/short`), 404, 'UnknownJobError', /^No job 'short'/);
  t.deepEqual((await call(`${service.url}/jobs`)).body.jobs.map((job: { jobId: string }) => job.jobId).filter((id: string) => ['short', 'broken'].includes(id)), ['broken']);
});

test('closing the service stops the jobs it runs through their AbortSignal; their event streams end with done', async (t) => {
  const dir = await tempDir('solstice-service-close-');
  const gate = splitGate('closing');
  const service = await startService({ stateDir: join(dir, 'state'), workflows: { gated_ids: GATED_WORKFLOW } });
  const submitted = await call(`${service.url}/jobs`, 'POST', { jobId: 'closing', workflow: 'gated_ids', config: gatedConfig(join(dir, 'out')), restore: 'none' });
  t.is(submitted.status, 202, JSON.stringify(submitted.body));
  await gate.waitingAt(0);
  const stream = await followEvents(`${service.url}/jobs/closing/events`);

  const closed = service.close();
  // Once the job has taken the stop, the split held may end: the job reads no more.
  await until('the job is stopping', async () => (await getJob('closing')!.status()).state === 'stopped');
  gate.open(Infinity);
  await closed;

  const done = (await stream.events).at(-1)!;
  t.like(done, { event: 'done', data: { outcome: 'stopped', error: { name: 'JobStoppedError', reason: CLOSING_REASON } } });
  t.false(listJobs().some((job) => job.jobId === 'closing'));
  await t.throwsAsync(fetch(`${service.url}/jobs`), undefined, 'the service no longer listens');
  t.true((await splitsWritten(t, join(dir, 'out'))).size < SPLITS);
});
