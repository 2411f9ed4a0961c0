import test, { type ExecutionContext } from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { refused } from './fixtures/bad_records_workflow.js';
import { attempt } from './support/chaos-run.js';
import { runCli } from './support/cli.js';
import { readJsonLinesDir, tempDir } from './support/files.js';
import { openLance, stagedTables } from './support/lance-tables.js';

const WORKFLOW = fileURLToPath(new URL('./fixtures/bad_records_workflow.js', import.meta.url));
const ROWS = 8000;
const malformed = (id: number) => id % 250 === 7;

/** Each bad record's id, by stage, as the dead letters hold them. */
type LettersByStage = { source: number[]; check: number[] };

/**
 * Runs the job, SIGKILLed at random moments and resumed, until it ends, and
 * checks that each good record is in the output once and each bad one in
 * the dead letters once, as `read` finds them at `deadLetter`.
 */
async function killedAndResumed(t: ExecutionContext, jobId: string, deadLetter: (cwd: string) => string, read: (cwd: string) => Promise<LettersByStage>) {
  const cwd = await tempDir('solstice-dead-chaos-');
  await mkdir(join(cwd, 'in'));
  for (let f = 0; f < 4; f++) {
    const lines = Array.from({ length: ROWS / 4 }, (_, i) => {
      const id = f * (ROWS / 4) + i;
      return malformed(id) ? `{"id": ${id}, broken` : JSON.stringify({ id });
    });
    await writeFile(join(cwd, 'in', `part-${f}.jsonl`), `${lines.join('\n')}\n`);
  }
  const args = ['run', '--workflow', WORKFLOW, '--job-id', jobId, '--input', join(cwd, 'in'), '--output', join(cwd, 'out'),
    '--dead-letter', deadLetter(cwd), '--delay-ms', '40', '--progress-interval', '0'];
  let kills = 0;
  let finished = false;
  const log: string[] = [];
  for (let round = 0; round < 12 && !finished; round++) {
    const listing = await runCli(['checkpoints', 'list', '--job-id', jobId], { cwd });
    const restore = /^\d+\s/m.test(listing.stdout) ? ['--restore', 'latest'] : [];
    const killAfterMs = kills < 3 ? Math.floor(Math.random() * 800) : undefined;
    const result = await attempt([...args, ...restore], cwd, { killAfterMs });
    log.push(`round ${round}: ${restore.join(' ') || 'fresh'}, kill ${killAfterMs ?? '-'}: ${result.killed ? 'killed' : `exit ${result.code}`}`);
    if (result.killed) {
      kills++;
      continue;
    }
    t.is(result.code, 0, `${log.join('\n')}\n${result.stderr.slice(-3000)}`);
    finished = true;
  }
  t.log(log.join('\n'));
  t.true(finished && kills >= 2, log.join('\n'));
  const all = Array.from({ length: ROWS }, (_, id) => id);
  const sorted = (values: number[]) => values.sort((a, b) => a - b);
  t.deepEqual(sorted((await readJsonLinesDir(join(cwd, 'out'))).map((row) => Number(row.id))), all.filter((id) => !malformed(id) && !refused(id)));
  const letters = await read(cwd);
  t.deepEqual(sorted(letters.source), all.filter(malformed));
  t.deepEqual(sorted(letters.check), all.filter((id) => refused(id) && !malformed(id)));
}

test('SIGKILLed at random moments and resumed, a job writes each good record once and each bad one to the dead letters once', async (t) => {
  await killedAndResumed(t, 'dead-chaos', (cwd) => join(cwd, 'dead'), async (cwd) => ({
    source: (await readJsonLinesDir(join(cwd, 'dead', 'source'))).map((letter) => Number(/\d+/.exec(String(letter.record))![0])),
    check: (await readJsonLinesDir(join(cwd, 'dead', 'check'))).map((letter) => Number(JSON.parse(String(letter.record)).id)),
  }));
});

test('with dead letters in a Lance table, too: each bad record is one row of it, however often the job was killed', async (t) => {
  await killedAndResumed(t, 'dead-lance-chaos', (cwd) => join(cwd, 'dead.lance'), async (cwd) => {
    const rows = await (await openLance(join(cwd, 'dead.lance'))).query().select(['stage', 'record']).toArray();
    t.deepEqual(await stagedTables(join(cwd, 'dead.lance')), [], 'nothing left staged');
    return {
      source: rows.filter((row) => row.stage === 'source').map((row) => Number(/\d+/.exec(String(row.record))![0])),
      check: rows.filter((row) => row.stage === 'check').map((row) => Number(JSON.parse(String(row.record)).id)),
    };
  });
});
