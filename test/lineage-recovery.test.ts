/**
 * Supervision per worker for stages with downstream stages: a lost worker of
 * a stateless stage is replaced, and the outputs it held for the next stage
 * (lost with its process) are made again, split by split, by running again
 * the splits that made them, through as many stages as needed (Ray's lineage
 * reconstruction). No job restart; only the lost splits are redone.
 */
import test from 'ava';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCli, untilBeforeExit, untilLogged } from './support/cli.js';
import { readJsonLinesDir, tempDir, writeIdFiles } from './support/files.js';
import { childPids } from './support/processes.js';

const WORKFLOW = fileURLToPath(new URL('fixtures/lineage_workflow.js', import.meta.url));
const FILES = 4;
const ROWS_PER_FILE = 3000;
const BATCH_ROWS = 500;
const REPLACING = /"msg":"worker lost; replacing it and handing its split out again"/g;
const ASKED_AGAIN = /"msg":"split input lost; asking its stage to make it again"/;

const sizeOf = (path: string) => (existsSync(path) ? statSync(path).size : 0);

function actorNameOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').find((arg) => arg.startsWith('Worker-')) ?? '';
  } catch {
    return '';
  }
}

/** The stages that ran a split again for a consumer, one entry per run. */
function rerunsByStage(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.includes('"msg":"running a split again for a consumer that lost its output"'))
    .map((line) => (JSON.parse(line) as { stage: string }).stage);
}

test('both workers of a keyed stage killed while their outputs wait to be read: the outputs are made again from the source on, exactly once, with no job restart', async (t) => {
  const dir = await tempDir('solstice-lineage-');
  await writeIdFiles(dir, FILES, ROWS_PER_FILE);
  const total = FILES * ROWS_PER_FILE;
  const [passCalls, keyCalls, gate, output] = ['pass-calls', 'key-calls', 'gate', 'out'].map((name) => join(dir, name)) as [string, string, string, string];
  const cli = startCli(['run', '--workflow', WORKFLOW, '--job-id', 'lineage', '--input', join(dir, 'in', '*.jsonl'), '--output', output,
    '--pass-calls', passCalls, '--key-calls', keyCalls, '--gate', gate, '--batch-rows', String(BATCH_ROWS),
    '--workers', 'forked', '--log-level', 'info', '--progress-interval', '0'], dir);

  // 'hold' takes no split past its gate: by-id's outputs pile up in its workers' processes, up to its buffer (6).
  // Once five splits went through by-id, at most two are in flight and two are read by the held workers: one or more wait unread.
  await untilBeforeExit(cli, 'five splits went through by-id', () => sizeOf(keyCalls) >= 5 * BATCH_ROWS);
  const victims = childPids(cli.child.pid!).filter((pid) => /^Worker-by-id-\d$/.test(actorNameOf(pid)));
  t.is(victims.length, 2, 'by-id runs in two worker processes');
  for (const pid of victims) process.kill(pid, 'SIGKILL');
  t.true(await untilLogged(cli, (text) => (text.match(REPLACING)?.length ?? 0) >= 2), cli.stderr());
  await writeFile(gate, '');
  t.is(await cli.exited, 0, cli.stderr());

  const stderr = cli.stderr();
  t.notRegex(stderr, /restarting the job/);
  t.regex(cli.stdout(), /^2 lost worker\(s\) replaced while the job ran/m);
  t.regex(stderr, ASKED_AGAIN);
  // Each lost output of by-id is made again from its split, whose input pass makes again, whose input the source reads again.
  const reruns = rerunsByStage(stderr);
  const byId = reruns.filter((stage) => stage === 'by-id').length;
  t.true(byId >= 1, reruns.join(', '));
  t.is(reruns.filter((stage) => stage === 'pass').length, byId);
  t.is(reruns.filter((stage) => stage === 'source').length, byId);

  const ids = (await readJsonLinesDir(output)).map((row) => row.id as number).sort((a, b) => a - b);
  t.deepEqual(ids, Array.from({ length: total }, (_, id) => id));
  // Redone: the splits made again, and the two in flight at by-id when it was killed; nothing else.
  t.true(sizeOf(keyCalls) - total <= (byId + 2) * BATCH_ROWS, `by-id ran ${sizeOf(keyCalls) - total} rows twice, ${byId} splits made again`);
  t.true(sizeOf(passCalls) - total <= byId * BATCH_ROWS, `pass ran ${sizeOf(passCalls) - total} rows twice`);
});
