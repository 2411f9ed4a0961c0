/**
 * A slow row function on a big split does not hold the worker's thread or
 * process for the whole split: the job's progress keeps being reported while
 * the split runs, and a worker in a process of its own keeps answering
 * heartbeats, so it is not taken for hung.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { runCli } from './support/cli.js';
import { tempDir } from './support/files.js';

const WORKFLOW = fileURLToPath(new URL('./fixtures/busy_workflow.js', import.meta.url));

test('progress lines keep coming while one slow split runs in the job\'s process', async (t) => {
  const dir = await tempDir('solstice-busy-');
  // 2000 rows of 1 ms each: a split of about two seconds, longer on a loaded machine.
  const result = await runCli(['run', '--workflow', WORKFLOW, '--job-id', 'busy', '--rows', '2000', '--spin-ms', '1', '--progress-interval', '0.1'], { cwd: dir });
  t.is(result.code, 0, result.stderr);
  // Progress is read between the event loop's turns: a loop that never yielded would allow none of these lines.
  const during = result.stderr.split('\n').filter((line) => /source 0\/1 splits 0 rows \(1 running\)/.test(line));
  t.true(during.length >= 3, `progress lines while the split ran: ${during.length}\n${result.stderr}`);
});

test('a forked worker busy with a slow split keeps answering heartbeats and is not killed as hung', async (t) => {
  const dir = await tempDir('solstice-busy-forked-');
  // About ten seconds of row function against a four-second heartbeat timeout.
  const result = await runCli(['run', '--workflow', WORKFLOW, '--job-id', 'busy-forked', '--rows', '2500', '--spin-ms', '4', '--heartbeat-timeout-secs', '4',
    '--workers', 'forked', '--progress-interval', '0'], { cwd: dir, timeoutMs: 120_000 });
  t.is(result.code, 0, result.stderr);
  t.notRegex(result.stderr, /answered no heartbeat/);
  t.regex(result.stdout, /^spin\s+1\s+1\s+1\s+2500\s+2500/m);
});
