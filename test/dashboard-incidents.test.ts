/**
 * What the dashboard page shows when things happen: a worker lost and the
 * job restarted from a checkpoint (with the loss's cause and where the
 * workers ran), an elastic stage growing, bad records sent to the dead
 * letters, and a job that fails, with its error and causes.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import type { Page } from 'playwright-core';
import { Job, MapOperator, SinkOperator, SourceOperator, SplitPayload, Stage, type DataRange, type Split } from '../lib/index.js';
import { JobRunner } from '../runtime/runner.js';
import { createJob as createAutoscaleJob } from '../bench/autoscale-workflow.js';
import { createJob as createCrashJob } from './fixtures/crash_workflow.js';
import { chromiumUnavailableReason, launchChromium } from './support/chromium.js';
import { tempDir, writeIdFiles } from './support/files.js';
import { needing } from './support/requirements.js';

const CRASH_WORKFLOW = fileURLToPath(new URL('fixtures/crash_workflow.js', import.meta.url));
const AUTOSCALE_WORKFLOW = fileURLToPath(new URL('../bench/autoscale-workflow.js', import.meta.url));
const withChromium = needing(chromiumUnavailableReason());

/** A page on the runner's dashboard, closed with the test; page errors are collected. */
async function openDashboard(t: ExecutionContext, runner: JobRunner): Promise<{ page: Page; errors: string[] }> {
  const dashboard = await runner.serveDashboard({ port: 0, intervalMs: 100 });
  t.teardown(() => dashboard.close());
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(dashboard.url);
  return { page, errors };
}

const digits = (text: string | null) => Number((text ?? '').replace(/[^0-9]/g, ''));

withChromium('a forked worker killed with SIGKILL: the page lists the loss with its signal, the restart with its error, and where the workers ran', async (t) => {
  const dir = await tempDir('solstice-dashboard-restart-');
  const lines = Array.from({ length: 3000 }, (_, id) => JSON.stringify({ id })).join('\n');
  await writeFile(join(dir, 'in.jsonl'), `${lines}\n`);
  const config = { input: join(dir, 'in.jsonl'), output: join(dir, 'out'), failOn: 3, failure: 'kill', once: join(dir, 'killed'), maxRestarts: 1 };
  const runner = new JobRunner(createCrashJob('dash-restart', config), {
    workflowModule: CRASH_WORKFLOW, config, stateBackend: join(dir, 'state'), restore: 'none', logLevel: 'error',
    placement: { stages: { work: { Worker: { mode: 'forked' } } } },
  });
  const { page, errors } = await openDashboard(t, runner);
  await runner.run();
  await page.locator('body[data-runner="finished"]').waitFor();

  t.regex(await page.locator('#failures .restarts').innerText(), /^1 restart/);
  const attempt = await page.locator('#failures .attempt-restarted').innerText();
  t.regex(attempt, /attempt 1: the job restarted from its last completed checkpoint/);
  t.regex(attempt, /WorkerLostError: .*'work'/);
  t.regex(attempt, /SIGKILL/);
  const lost = page.locator('#lost-workers tbody tr[data-stage="work"]');
  t.is(await lost.count(), 1, 'the loss in the first attempt, though the page shows the figures of the second');
  t.is(await lost.locator('.answer').innerText(), 'failed');
  t.regex(await lost.innerText(), /SIGKILL/);
  t.regex(await page.locator('#stages tr[data-stage="work"] .places').innerText(), /^forked ×2$/);
  t.regex(await page.locator('#stages tr[data-stage="source"] .places').innerText(), /^in-process ×1$/);
  t.is(digits(await page.locator('#stages tr[data-stage="out"] .rows-in').textContent()) > 0, true);
  t.deepEqual(errors, []);
});

withChromium('an elastic stage grows: the page lists the decision, and the workers now and aimed at', async (t) => {
  const dir = await tempDir('solstice-dashboard-elastic-');
  await writeIdFiles(dir, 10, 2000);
  const config = { input: join(dir, 'in', '*.jsonl'), output: join(dir, 'out'), burst: 16, paceMs: 300, trickleCostUs: 0, parallelism: '1-2' };
  const runner = new JobRunner(createAutoscaleJob('dash-elastic', config), {
    workflowModule: AUTOSCALE_WORKFLOW, config, stateBackend: join(dir, 'state'), restore: 'none', placement: { Worker: { mode: 'threaded' } },
  });
  const { page, errors } = await openDashboard(t, runner);
  const ran = runner.run();
  const growth = page.locator('#scaling tbody tr[data-stage="work"]').filter({ has: page.locator('.change', { hasText: '1 → 2' }) });
  await growth.first().waitFor();
  t.regex(await growth.first().innerText(), /the stage is the bottleneck/);
  t.regex(await page.locator('#stages tr[data-stage="work"] .places').innerText(), /^threaded ×[12]$/);
  t.regex(await page.locator('#stages tr[data-stage="work"] .workers').innerText(), /^[12]\/[12]$/);
  await ran;
  await page.locator('body[data-runner="finished"]').waitFor();
  t.is(await page.locator('#scaling tbody tr[data-stage="source"]').count(), 0, 'a fixed stage makes no decisions');
  t.deepEqual(errors, []);
});

const ROWS = 400;

class NumbersSource extends SourceOperator<Record<string, never>> {
  planSplits(): DataRange[] {
    return Array.from({ length: 4 }, (_, i) => ({ first: i * ROWS, rows: ROWS }));
  }

  processSplit(split: Split): SplitPayload {
    const first = split.range!.first as number;
    return SplitPayload.fromRows(Array.from({ length: ROWS }, (_, n) => ({ n: first + n })), split.splitId);
  }
}

class DropSink extends SinkOperator<Record<string, never>> {
  processSplit(): null {
    return null;
  }
}

function numbersJob(jobId: string, fn: (row: Record<string, unknown>) => Record<string, unknown>, onError: 'dead-letter' | 'fail'): Job {
  const job = new Job({ jobId });
  job.addStage(new Stage('numbers', NumbersSource, {}, 1));
  job.addStage(new Stage('check', MapOperator, { fn }, 1, { onError }), ['numbers']);
  job.addStage(new Stage('drop', DropSink, {}, 1), ['check']);
  return job;
}

withChromium('bad records sent to the dead letters are counted on the page, stage by stage', async (t) => {
  const dir = await tempDir('solstice-dashboard-dead-letters-');
  const bad = (n: number) => n % 37 === 0;
  const job = numbersJob('dash-dead-letters', (row) => {
    if (bad(row.n as number)) throw new Error(`row ${String(row.n)} is bad`);
    return row;
  }, 'dead-letter');
  const runner = new JobRunner(job, { stateBackend: join(dir, 'state'), deadLetter: join(dir, 'dead'), restore: 'none' });
  const { page, errors } = await openDashboard(t, runner);
  await runner.run();
  await page.locator('body[data-runner="finished"]').waitFor();
  const expected = Array.from({ length: 4 * ROWS }, (_, n) => n).filter(bad).length;
  t.is(digits(await page.locator('#stages tr[data-stage="check"] .dead-letters').textContent()), expected);
  t.regex(await page.locator('#dag [data-stage="check"] .dead-letters').innerText(), new RegExp(`dead letters ${expected}$`));
  t.is(digits(await page.locator('#stages tr[data-stage="numbers"] .dead-letters').textContent()), 0);
  t.deepEqual(errors, []);
});

withChromium('a job that fails: the page shows its error and the error\'s cause', async (t) => {
  const dir = await tempDir('solstice-dashboard-failure-');
  const job = numbersJob('dash-failure', (row) => {
    if (row.n === 777) throw new RangeError('row 777 is out of range');
    return row;
  }, 'fail');
  const runner = new JobRunner(job, { stateBackend: join(dir, 'state'), restore: 'none' });
  const { page, errors } = await openDashboard(t, runner);
  await t.throwsAsync(runner.run());
  await page.locator('body[data-runner="failed"]').waitFor();
  const failure = await page.locator('#failures .attempt-failed').innerText();
  t.regex(failure, /attempt 1: the job failed/);
  t.regex(failure, /OperatorError: .*'check'/);
  t.regex(failure, /caused by RangeError: row 777 is out of range/);
  t.deepEqual(errors, []);
});
