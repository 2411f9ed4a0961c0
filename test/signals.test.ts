import test from 'ava';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkWholeChaosOutput } from './support/chaos-expected.js';
import { writeChaosInput } from './support/chaos-data.js';
import { runCli, startCli, untilBeforeExit } from './support/cli.js';
import { publishedCheckpointIds, readJsonLinesDir, tempDir } from './support/files.js';
import { processesIn } from './support/processes.js';

const TRACED_WORKFLOW = fileURLToPath(new URL('fixtures/traced_workflow.js', import.meta.url));

/** Splits the trace stage started and those it ended, from its trace file. */
function traced(file: string): { started: string[]; ended: string[] } {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  return {
    started: lines.filter((l) => l.startsWith('start ')).map((l) => l.slice(6)),
    ended: lines.filter((l) => l.startsWith('end ')).map((l) => l.slice(4)),
  };
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`one ${signal} stops the job after the splits in flight, exits 130 with output only of completed checkpoints, and the job resumes from them`, async (t) => {
    const cwd = await tempDir('solstice-signal-');
    const { records, totals } = await writeChaosInput(join(cwd, 'in'), 2, 40_000);
    const output = join(cwd, 'out');
    const traceFile = join(cwd, 'trace.txt');
    const jobArgs = ['run', '--workflow', TRACED_WORKFLOW, '--job-id', 'signalled', '--input', join(cwd, 'in', '*.jsonl'), '--output', output,
      '--interval-secs', '0.2', '--progress-interval', '0.1'];
    const cli = startCli([...jobArgs, '--delay-ms', '30', '--trace-file', traceFile], cwd);
    await untilBeforeExit(cli, 'its first progress line and checkpoint', () => /^\[\d/m.test(cli.stderr()) && publishedCheckpointIds(join(cwd, '.solstice', 'signalled', 'checkpoints')).length > 0);

    cli.child.kill(signal);
    const code = await cli.exited;
    t.is(code, 130, cli.stderr());
    t.regex(cli.stderr(), new RegExp(`${signal}: stopping the job after the splits in flight`));
    t.regex(cli.stderr(), /error: JobStoppedError: Job 'signalled' was stopped/);
    t.notRegex(cli.stdout(), /finished in/, 'no summary of a finished job');

    const { started, ended } = traced(traceFile);
    t.deepEqual([...ended].sort(), [...started].sort(), 'every split the job had started was finished before it stopped');
    const committed = (await readJsonLinesDir(join(output, 'records'))).map((r) => r.id as number);
    t.true(committed.length < records.length, `the job stopped before its end (${committed.length} of ${records.length} records committed)`);
    t.is(new Set(committed).size, committed.length, 'no committed record twice');
    t.false(existsSync(join(output, 'totals')) && readdirSync(join(output, 'totals')).some((n) => n.endsWith('.jsonl')), 'no totals before the input ends');
    const listing = await runCli(['checkpoints', 'list', '--job-id', 'signalled'], { cwd });
    t.regex(listing.stdout, /^\d+\s+\S+\s+no$/m, 'the completed checkpoints stay, none final');
    t.notRegex(listing.stdout, /yes \(job complete\)/);

    const resumed = await runCli(jobArgs, { cwd });
    t.is(resumed.code, 0, resumed.stderr);
    t.regex(resumed.stdout, /^resumed from checkpoint \d+$/m);
    await checkWholeChaosOutput(t, output, records, totals);
  });
}

test('a second SIGINT exits at once, without waiting for the splits in flight, and leaves no process behind', async (t) => {
  const cwd = await tempDir('solstice-signal-');
  await writeChaosInput(join(cwd, 'in'), 1, 2000);
  const traceFile = join(cwd, 'trace.txt');
  // Each split takes ten minutes in the trace stage: only a second signal ends the job before then.
  const cli = startCli(['run', '--workflow', TRACED_WORKFLOW, '--job-id', 'impatient', '--input', join(cwd, 'in', '*.jsonl'),
    '--output', join(cwd, 'out'), '--delay-ms', '600000', '--trace-file', traceFile, '--progress-interval', '0'], cwd);
  await untilBeforeExit(cli, 'a split was in flight', () => traced(traceFile).started.length > 0);

  cli.child.kill('SIGINT');
  await untilBeforeExit(cli, 'it said it is stopping', () => /SIGINT: stopping the job after the splits in flight \(again to exit now\)/.test(cli.stderr()));
  t.false(cli.ended(), 'the first signal waits for the split in flight');
  cli.child.kill('SIGINT');
  t.is(await cli.exited, 130, cli.stderr());

  const { started, ended } = traced(traceFile);
  t.true(started.length > 0);
  t.deepEqual(ended, [], 'the splits in flight were left unfinished');
  t.deepEqual(processesIn(cwd), [], 'no process of the job is left');
});
