/**
 * The dashboard's page, in a browser: while a job runs it draws the plan,
 * the rows counted, the checkpoints; after the job has ended it keeps the
 * final figures; and it asks nothing of any host but the job's server.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Job, MapOperator, SinkOperator, SourceOperator, SplitPayload, Stage, type DataRange, type Split } from '../lib/index.js';
import { JobRunner } from '../runtime/runner.js';
import { CHROMIUM, chromiumUnavailableReason, launchChromium } from './support/chromium.js';
import { REPO_ROOT, tempDir } from './support/files.js';
import { needing } from './support/requirements.js';

const SPLITS = 8;
const ROWS = 250;
const STAGES = ['source', 'spin', 'tag', 'sink'];

class RowsSource extends SourceOperator<Record<string, never>> {
  planSplits(): DataRange[] {
    return Array.from({ length: SPLITS }, () => ({ rows: ROWS }));
  }

  processSplit(split: Split): SplitPayload {
    return SplitPayload.fromRows(Array.from({ length: ROWS }, (_, n) => ({ n })), split.splitId);
  }
}

class DropSink extends SinkOperator<Record<string, never>> {
  processSplit(): null {
    return null;
  }
}

/** source (1 worker) -> spin -> tag (2 workers each: fused into one chain) -> sink; a checkpoint every split read. */
function slowJob(): Job {
  const job = new Job({ jobId: 'dash-page', checkpointIntervalRecords: ROWS, supervision: { maxRestarts: 0 } });
  job.addStage(new Stage('source', RowsSource, {}, 1));
  job.addStage(new Stage('spin', MapOperator, {
    fn: (row) => {
      const until = performance.now() + 2;
      while (performance.now() < until);
      return row;
    },
  }, 2), ['source']);
  job.addStage(new Stage('tag', MapOperator, { fn: (row) => ({ ...row, tagged: true }) }, 2), ['spin']);
  job.addStage(new Stage('sink', DropSink, {}, 1), ['tag']);
  return job;
}

const digits = (text: string | null) => Number((text ?? '').replace(/[^0-9]/g, ''));

needing(chromiumUnavailableReason())('the dashboard page draws a running job live, keeps its final figures, and loads nothing from elsewhere', async (t) => {
  const runner = new JobRunner(slowJob(), { stateBackend: await tempDir('solstice-dashboard-page-'), restore: 'none' });
  const dashboard = await runner.serveDashboard({ port: 0, intervalMs: 100 });
  t.teardown(() => dashboard.close());
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  const hosts = new Set<string>();
  page.on('request', (request) => hosts.add(new URL(request.url()).hostname));
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(dashboard.url);

  const ran = runner.run();
  // While it runs: every stage drawn, the fused chain framed, the edges, rows counted, a checkpoint listed.
  for (const stage of STAGES) await page.locator(`#dag [data-stage="${stage}"]`).waitFor();
  t.is(await page.locator('#dag .chain').count(), 1);
  t.regex(await page.locator('#dag .chain').innerText(), /spin\+tag/);
  t.deepEqual(await page.locator('#dag [data-edge]').evaluateAll((edges) => edges.map((edge) => edge.getAttribute('data-edge'))),
    ['source->spin', 'spin->tag', 'tag->sink']);
  await page.locator('#dag [data-stage="spin"] .rows-in').filter({ hasText: /[1-9]/ }).waitFor();
  t.true(digits(await page.locator('#dag [data-stage="spin"] .rows-in').textContent()) < SPLITS * ROWS, 'rows seen before the job ended');
  await page.locator('#checkpoints tbody tr').first().waitFor();
  t.is(await page.locator('body').getAttribute('data-runner'), 'running');

  // After it ends: the final figures stay on the page, equal to what the source made.
  await ran;
  await page.locator('body[data-runner="finished"]').waitFor();
  for (const stage of STAGES) {
    t.is(digits(await page.locator(`#dag [data-stage="${stage}"] .rows-in`).textContent()), SPLITS * ROWS, stage);
    t.is(digits(await page.locator(`#stages tr[data-stage="${stage}"] .rows-in`).textContent()), SPLITS * ROWS, stage);
    t.is(await page.locator(`#dag [data-stage="${stage}"] .state`).textContent(), 'finished');
  }
  t.is(await page.locator('#checkpoints tr.outcome-completed').filter({ hasText: 'yes' }).count(), 1, 'the final checkpoint, completed');
  t.is(await page.locator('#stages tr[data-stage="spin"] .dataplane-bytes').textContent(), '0 B', 'in-process workers pass payloads by reference');
  t.regex(await page.locator('#checkpoints tr.outcome-completed .size').first().textContent() ?? '', /^\d+(\.\d)? (B|KiB)$/, 'its manifest and state files');
  t.true(await page.locator('#throughput .u-series').count() >= STAGES.length + 1, 'a chart series per stage');

  const output = join(REPO_ROOT, 'dist', 'test', 'output');
  await mkdir(output, { recursive: true });
  const screenshot = join(output, 'dashboard.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  t.log(`screenshot: ${screenshot} (${CHROMIUM})`);
  if (process.env.SOLSTICE_UPDATE_DOCS_SCREENSHOT === '1') await copyFile(screenshot, join(REPO_ROOT, 'docs', 'dashboard.png'));

  t.deepEqual([...hosts], ['127.0.0.1'], 'every request went to the dashboard server');
  t.deepEqual(errors, []);
});
