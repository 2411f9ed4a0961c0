/**
 * A running job's figures over HTTP: scraped by Prometheus at /metrics,
 * read as JSON at /api/status, followed at /api/events; and still there,
 * final, after the job has ended.
 */
import test from 'ava';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { readdir, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import { SHARED_MEMORY_MIN_BYTES } from '../dataplane/shared-memory-pool.js';
import {
  AggregateOperator, createJobFromWorkflow, Job, KeyByOperator, SinkOperator, SourceOperator, SplitPayload, Stage, type DataRange, type Split,
} from '../lib/index.js';
import { JobRunner } from '../runtime/runner.js';
import type { RunnerStatus } from '../runtime/runner-options.js';
import { createJob } from './fixtures/busy_workflow.js';
import { startCli, untilLogged } from './support/cli.js';
import { isolatedState, tempDir } from './support/files.js';
import { until } from './support/until.js';

const WORKFLOW = fileURLToPath(new URL('./fixtures/busy_workflow.js', import.meta.url));
const ARROW_SPLITS_WORKFLOW = fileURLToPath(new URL('./fixtures/arrow_splits_workflow.js', import.meta.url));
const STAGES = ['source', 'spin', 'sink'];

async function get(url: string): Promise<{ status: number; type: string; body: string }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
}

/** The metric families of a scrape, by name; `text` is the scrape as it came. */
type Scrape = Map<string, ParsedFamily> & { text: string };

async function scrape(base: string): Promise<Scrape> {
  const { status, type, body } = await get(new URL('metrics', base).href);
  if (status !== 200 || !type.startsWith('text/plain')) throw new Error(`/metrics answered ${status} ${type}: ${body}`);
  return Object.assign(new Map(parsePrometheusTextFormat(body).map((family) => [family.name, family])), { text: body });
}

/**
 * One series of a histogram family, parsed. parse-prometheus-text-format
 * folds every series of a histogram into one and drops the sum and count
 * of labelled ones: the series' lines, which must carry `labels`, are given
 * to it without them.
 */
function histogramOf(scraped: Scrape, name: string, labels: Record<string, string>): ParsedFamily {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`).join(',');
  const lines = scraped.text.split('\n').filter((line) => line.startsWith(`${name}_`) && line.includes(`{${wanted}`));
  if (lines.length === 0) throw new Error(`no series ${name}{${wanted}} in:\n${scraped.text}`);
  const bare = lines.map((line) => line.replace(`{${wanted}}`, '').replace(`{${wanted},`, '{'));
  const type = scraped.text.split('\n').find((line) => line.startsWith(`# TYPE ${name} `))!;
  return parsePrometheusTextFormat([type, ...bare, ''].join('\n'))[0]!;
}

async function statusOf(base: string): Promise<RunnerStatus> {
  return JSON.parse((await get(new URL('api/status', base).href)).body) as RunnerStatus;
}

/** The value of a counter or gauge for these labels. */
function valueOf(families: Scrape, name: string, labels: Record<string, string>): number | undefined {
  const sample = families.get(name)?.metrics.find((metric) => Object.entries(labels).every(([key, value]) => metric.labels?.[key] === value));
  return sample?.value === undefined ? undefined : Number(sample.value);
}

interface ServerEvent {
  event: string;
  data: RunnerStatus;
}

/** Reads /api/events until the server ends the stream; resolves with every event. */
function readEvents(base: string): Promise<ServerEvent[]> {
  return new Promise((resolve, reject) => {
    request(new URL('api/events', base), (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        const blocks = text.split('\n\n').filter((block) => block.trim() !== '');
        resolve(blocks.map((block) => {
          const field = (name: string) => block.split('\n').find((line) => line.startsWith(`${name}: `))!.slice(name.length + 2);
          return { event: field('event'), data: JSON.parse(field('data')) as RunnerStatus };
        }));
      });
      response.on('error', reject);
    }).on('error', reject).end();
  });
}

test('the dashboard serves a running job\'s metrics, status and events, and its final figures after it ends', async (t) => {
  const dir = await tempDir('solstice-dashboard-');
  const splits = 4;
  const rows = 300;
  const runner = new JobRunner(createJob('dash', { rows, splits, spinMs: 2 }), { stateBackend: dir, restore: 'none' });
  const dashboard = await runner.serveDashboard({ port: 0, intervalMs: 100 });
  t.teardown(() => dashboard.close());
  t.regex(dashboard.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const index = await get(dashboard.url);
  t.regex(index.body, /href="\/metrics"/);
  t.regex(index.body, /href="\/api\/status"/);

  const events = readEvents(dashboard.url);
  const ran = runner.run();

  // While it runs: wait until a stage has reported rows, then scrape.
  await until('a stage of the running job reports rows', async () => {
    const status = await statusOf(dashboard.url);
    return status.runner === 'running' && status.stages.some((stage) => stage.rowsIn > 0);
  });
  const during = await scrape(dashboard.url);
  t.is(during.get('solstice_stage_rows_in_total')?.type, 'COUNTER');
  t.deepEqual(during.get('solstice_stage_rows_in_total')?.metrics.map((metric) => metric.labels).sort((a, b) => a!['stage']!.localeCompare(b!['stage']!)),
    [...STAGES].sort().map((stage) => ({ job: 'dash', stage })));
  t.is(valueOf(during, 'solstice_job_state', { job: 'dash', state: 'running' }), 1);
  t.is(valueOf(during, 'solstice_stage_workers', { job: 'dash', stage: 'source' }), 1);
  t.true(valueOf(during, 'solstice_stage_rows_in_total', { job: 'dash', stage: 'spin' })! < splits * rows, 'scraped before the job ended');

  const summary = await ran;

  // After it ends: the final figures, equal to what the generator made and the summary says.
  const after = await scrape(dashboard.url);
  for (const stage of STAGES) {
    t.is(valueOf(after, 'solstice_stage_rows_in_total', { job: 'dash', stage }), splits * rows, stage);
    t.is(valueOf(after, 'solstice_stage_splits_in_total', { job: 'dash', stage }), splits, stage);
  }
  t.is(valueOf(after, 'solstice_stage_rows_out_total', { job: 'dash', stage: 'spin' }), splits * rows);
  t.is(valueOf(after, 'solstice_source_records_total', { job: 'dash' }), splits * rows);
  t.is(valueOf(after, 'solstice_job_state', { job: 'dash', state: 'finished', runner: 'finished' }), 1);
  const latency = histogramOf(after, 'solstice_stage_split_latency_seconds', { job: 'dash', stage: 'source' });
  t.is(latency.type, 'HISTOGRAM');
  const sourceLatency = latency.metrics[0]!;
  t.is(Number(sourceLatency.count), summary.stages.find((stage) => stage.stage === 'source')!.splitsIn);
  t.is(Number(sourceLatency.count), splits);
  t.is(Number(sourceLatency.buckets!['+Inf']), splits);
  t.true(Number(sourceLatency.sum) > 0);

  // The final checkpoint, with its duration and manifest's size.
  const status = await statusOf(dashboard.url);
  t.is(status.runner, 'finished');
  const final = status.checkpoints?.recent.find((record) => record.outcome === 'completed' && record.final);
  t.truthy(final, JSON.stringify(status.checkpoints));
  t.true(final!.durationMs! >= 0);
  t.true(final!.manifestBytes! > 0);
  t.is(valueOf(after, 'solstice_checkpoint_last_id', { job: 'dash' }), final!.id);
  t.is(valueOf(after, 'solstice_checkpoint_last_duration_seconds', { job: 'dash' }), final!.durationMs! / 1000);
  t.true(valueOf(after, 'solstice_checkpoints_total', { job: 'dash', outcome: 'completed' })! >= 1);

  // The events: the status while it ran, then one `end` with the final status, and the stream closed.
  const received = await events;
  t.true(received.length >= 3, `${received.length} events`);
  t.true(received.slice(0, -1).every((event) => event.event === 'status'));
  t.true(received.filter((event) => event.data.runner === 'running').length >= 2);
  t.is(received.at(-1)!.event, 'end');
  t.is(received.at(-1)!.data.runner, 'finished');
  t.is(received.at(-1)!.data.stages.find((stage) => stage.stage === 'sink')!.rowsIn, splits * rows);

  // Long after: still the same final figures.
  const later = await scrape(dashboard.url);
  t.is(valueOf(later, 'solstice_stage_rows_in_total', { job: 'dash', stage: 'sink' }), splits * rows);
});

test('run --dashboard 0 prints the URL, serves the running job, and keeps serving its final figures until Ctrl-C', async (t) => {
  const dir = await tempDir('solstice-dashboard-cli-');
  const cli = startCli(['run', '--workflow', WORKFLOW, '--job-id', 'dash-cli', '--rows', '300', '--splits', '3', '--spin-ms', '2',
    '--progress-interval', '0', '--dashboard', '0'], dir);
  t.teardown(() => {
    if (!cli.ended()) cli.child.kill('SIGKILL');
  });
  t.true(await untilLogged(cli, /dashboard: http:\/\/127\.0\.0\.1:\d+\//), cli.stderr());
  const url = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(cli.stderr())![1]!;
  const events = readEvents(url);
  t.true(await untilLogged(cli, /the job has ended; the dashboard at .* serves its final figures until Ctrl-C/), cli.stderr());
  t.regex(cli.stdout(), /^spin\s+1\s+3\s+3\s+900\s+900/m);
  const after = await scrape(url);
  t.is(valueOf(after, 'solstice_stage_rows_in_total', { job: 'dash-cli', stage: 'sink' }), 900);
  t.is(valueOf(after, 'solstice_job_state', { job: 'dash-cli', state: 'finished', runner: 'finished' }), 1);
  t.is((await events).at(-1)!.event, 'end');
  t.false(cli.ended(), 'still serving after the job ended');
  cli.child.kill('SIGINT');
  t.is(await cli.exited, 0);
});

test('a stage\'s data plane bytes are the Arrow IPC streams of the splits it fetched from other threads or processes, and none in-process', async (t) => {
  // The last split is over the size that may cross in shared memory; the others always cross the socket.
  const rows = [1000, 3000, 300_000];
  const streams = rows.map((count) => tableToIPC(tableFromArrays({ n: Int32Array.from({ length: count }, (_, n) => n) }), 'stream').byteLength);
  const total = streams.reduce((sum, bytes) => sum + bytes, 0);
  const overSocketAlways = streams.filter((bytes) => bytes < SHARED_MEMORY_MIN_BYTES).reduce((sum, bytes) => sum + bytes, 0);
  t.true(streams.at(-1)! >= SHARED_MEMORY_MIN_BYTES);
  for (const mode of ['forked', 'threaded', 'in-process'] as const) {
    const jobId = `bytes-${mode}`;
    const config = { rows: rows.join(',') };
    const runner = new JobRunner(await createJobFromWorkflow(ARROW_SPLITS_WORKFLOW, jobId, config), {
      ...isolatedState(), restore: 'none', workflowModule: ARROW_SPLITS_WORKFLOW, config, placement: { Worker: { mode } },
    });
    const dashboard = await runner.serveDashboard({ port: 0 });
    t.teardown(() => dashboard.close());
    await runner.run();
    const scraped = await scrape(dashboard.url);
    const bytesOf = (stage: string) => ({
      socket: valueOf(scraped, 'solstice_dataplane_bytes_total', { job: jobId, stage, transport: 'socket' }),
      sharedMemory: valueOf(scraped, 'solstice_dataplane_bytes_total', { job: jobId, stage, transport: 'shared_memory' }),
    });
    const sink = bytesOf('sink');
    t.log(`${mode}: the sink fetched ${JSON.stringify(sink)} bytes`);
    t.deepEqual(bytesOf('source'), { socket: 0, sharedMemory: 0 }, `${mode}: a source fetches no payload`);
    t.deepEqual((await statusOf(dashboard.url)).stages.find((stage) => stage.stage === 'sink')!.dataPlaneBytes, sink, `${mode}: /metrics says what the status says`);
    if (mode === 'in-process') {
      t.deepEqual(sink, { socket: 0, sharedMemory: 0 }, 'in-process payloads pass by reference');
      continue;
    }
    t.is(sink.socket! + sink.sharedMemory!, total, `${mode}: every split's stream, once`);
    t.true(sink.socket! >= overSocketAlways, `${mode}: the small splits crossed the socket`);
  }
});

const KEYED_SPLITS = 6;
const KEYED_ROWS = 200;

class KeyedRowsSource extends SourceOperator<Record<string, never>> {
  planSplits(): DataRange[] {
    return Array.from({ length: KEYED_SPLITS }, () => ({ rows: KEYED_ROWS }));
  }

  processSplit(split: Split): SplitPayload {
    return SplitPayload.fromRows(Array.from({ length: KEYED_ROWS }, (_, n) => ({ key: `k${n % 13}`, n })), split.splitId);
  }
}

class DropSink extends SinkOperator<Record<string, never>> {
  processSplit(): null {
    return null;
  }
}

/** The bytes of every file under `dir`, recursively. */
async function bytesUnder(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const sizes = await Promise.all(entries.filter((entry) => entry.isFile()).map(async (entry) => (await stat(join(entry.parentPath, entry.name))).size));
  return sizes.reduce((sum, size) => sum + size, 0);
}

test('each checkpoint\'s size is its manifest and the state files in its folder, and its duration is counted in a histogram over every completed checkpoint', async (t) => {
  const state = await tempDir('solstice-dashboard-checkpoints-');
  const job = new Job({ jobId: 'counts', checkpointIntervalRecords: KEYED_ROWS, retainCheckpoints: 1000, supervision: { maxRestarts: 0 } });
  job.addStage(new Stage('source', KeyedRowsSource, {}, 1));
  job.addStage(new Stage('by-key', KeyByOperator, { fn: (row) => String(row.key) }, 2), ['source']);
  job.addStage(new Stage('count', AggregateOperator, { aggregations: { n: { op: 'count' } } }, 2), ['by-key']);
  job.addStage(new Stage('sink', DropSink, {}, 1), ['count']);
  const runner = new JobRunner(job, { stateBackend: state, restore: 'none' });
  const dashboard = await runner.serveDashboard({ port: 0 });
  t.teardown(() => dashboard.close());
  await runner.run();
  const scraped = await scrape(dashboard.url);
  const report = (await statusOf(dashboard.url)).checkpoints!;
  const completed = report.recent.filter((record) => record.outcome === 'completed');
  t.true(completed.length >= 2, `${completed.length} completed checkpoints`);
  t.is(completed.length, report.completed, 'every completed checkpoint is among the recent ones');

  // The sizes, against the files the local state backend holds.
  for (const record of completed) {
    const folder = join(state, 'counts', 'checkpoints', String(record.id).padStart(10, '0'));
    t.is(record.manifestBytes, (await stat(join(folder, 'MANIFEST.json'))).size, `manifest of checkpoint ${record.id}`);
    t.is(record.stateBytes, await bytesUnder(join(folder, 'state')), `state files of checkpoint ${record.id}`);
    t.true(record.stateBytes! > 0);
  }
  const last = completed.at(-1)!;
  t.is(valueOf(scraped, 'solstice_checkpoint_last_id', { job: 'counts' }), last.id);
  t.is(valueOf(scraped, 'solstice_checkpoint_last_manifest_bytes', { job: 'counts' }), last.manifestBytes);
  t.is(valueOf(scraped, 'solstice_checkpoint_last_state_bytes', { job: 'counts' }), last.stateBytes);
  t.is(valueOf(scraped, 'solstice_checkpoint_last_size_bytes', { job: 'counts' }), last.manifestBytes! + last.stateBytes!);

  // The histogram: cumulative buckets, sum and count, from the durations the status reports.
  const durationsMs = completed.map((record) => record.durationMs!);
  const histogram = histogramOf(scraped, 'solstice_checkpoint_duration_seconds', { job: 'counts' });
  t.is(histogram.type, 'HISTOGRAM');
  const series = histogram.metrics[0]!;
  t.is(Number(series.count), completed.length);
  t.is(Number(series.sum), durationsMs.reduce((sum, ms) => sum + ms, 0) / 1000);
  const buckets = Object.entries(series.buckets!);
  t.true(buckets.length > 2, JSON.stringify(series.buckets));
  for (const [le, count] of buckets) {
    const expected = le === '+Inf' ? completed.length : durationsMs.filter((ms) => ms <= Math.round(Number(le) * 1000)).length;
    t.is(Number(count), expected, `bucket le=${le}`);
  }
});
