import test from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { refused } from './fixtures/bad_records_workflow.js';
import { attempt } from './support/chaos-run.js';
import { runCli } from './support/cli.js';
import { readJsonLinesDir, tempDir } from './support/files.js';

const WORKFLOW = fileURLToPath(new URL('./fixtures/bad_records_workflow.js', import.meta.url));
const ROWS = 8000;
const malformed = (id: number) => id % 250 === 7;

test('SIGKILLed at random moments and resumed, a job writes each good record once and each bad one to the dead letters once', async (t) => {
  const cwd = await tempDir('solstice-dead-chaos-');
  await mkdir(join(cwd, 'in'));
  for (let f = 0; f < 4; f++) {
    const lines = Array.from({ length: ROWS / 4 }, (_, i) => {
      const id = f * (ROWS / 4) + i;
      return malformed(id) ? `{"id": ${id}, broken` : JSON.stringify({ id });
    });
    await writeFile(join(cwd, 'in', `part-${f}.jsonl`), `${lines.join('\n')}\n`);
  }
  const args = ['run', '--workflow', WORKFLOW, '--job-id', 'dead-chaos', '--input', join(cwd, 'in'), '--output', join(cwd, 'out'),
    '--dead-letter', join(cwd, 'dead'), '--delay-ms', '40', '--progress-interval', '0'];
  let kills = 0;
  let finished = false;
  const log: string[] = [];
  for (let round = 0; round < 12 && !finished; round++) {
    const listing = await runCli(['checkpoints', 'list', '--job-id', 'dead-chaos'], { cwd });
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
  t.deepEqual(sorted((await readJsonLinesDir(join(cwd, 'dead', 'source'))).map((letter) => Number(/\d+/.exec(String(letter.record))![0]))), all.filter(malformed));
  t.deepEqual(sorted((await readJsonLinesDir(join(cwd, 'dead', 'check'))).map((letter) => Number(JSON.parse(String(letter.record)).id))), all.filter((id) => refused(id) && !malformed(id)));
});
