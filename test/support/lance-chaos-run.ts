import type { ExecutionContext } from 'ava';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { attempt } from './chaos-run.js';
import { runCli } from './cli.js';
import { tempDir, writeIdFiles } from './files.js';
import { columnSorted, openLance, range, stagedTables } from './lance-tables.js';

const WORKFLOW = fileURLToPath(new URL('../fixtures/lance_chaos_workflow.js', import.meta.url));

/**
 * Runs the LanceSink chaos job (two writers, a table at `uri`), SIGKILLing it
 * at random moments `kills` times and resuming it with `--restore latest`
 * each time, then checks with LanceDB that the table holds every id exactly
 * once and that nothing is left staged.
 */
export async function killAndResumeLance(t: ExecutionContext, options: { uri?: string; storageOptions?: Record<string, string>; kills: number }): Promise<void> {
  const cwd = await tempDir('solstice-lance-chaos-');
  await writeIdFiles(cwd, 3, 8000);
  const uri = options.uri ?? join(cwd, 'out', 'ids.lance');
  const storage = options.storageOptions ? ['--storage-options', JSON.stringify(options.storageOptions)] : [];
  const args = ['run', '--workflow', WORKFLOW, '--job-id', 'lance-chaos', '--input', join(cwd, 'in'), '--output', uri, '--delay-ms', '40', '--progress-interval', '0', ...storage];
  let kills = 0;
  let finished = false;
  const log: string[] = [];
  for (let round = 0; round < 4 * options.kills && !finished; round++) {
    const listing = await runCli(['checkpoints', 'list', '--job-id', 'lance-chaos'], { cwd });
    const restore = /^\d+\s/m.test(listing.stdout) ? ['--restore', 'latest'] : [];
    const killAfterMs = kills < options.kills ? Math.floor(Math.random() * 800) : undefined;
    const result = await attempt([...args, ...restore], cwd, { killAfterMs });
    log.push(`round ${round}: ${restore.join(' ') || 'fresh'}, kill ${killAfterMs ?? '-'} ms after its first checkpoint: ${result.killed ? 'killed' : `exit ${result.code}`}`);
    if (result.killed) {
      kills++;
      continue;
    }
    t.is(result.code, 0, `${log.join("\n")}\n${result.stderr.split("\n").filter((line) => !line.startsWith("{") || /"level":(40|50|60)/.test(line)).join("\n").slice(-6000)}`);
    finished = true;
  }
  t.log(log.join('\n'));
  t.true(finished, log.join('\n'));
  t.true(kills >= Math.min(2, options.kills), `killed ${kills} times: ${log.join('\n')}`);
  t.deepEqual(await columnSorted(await openLance(uri, options.storageOptions), 'id'), range(0, 24_000), 'each id exactly once');
  t.deepEqual(await stagedTables(uri, options.storageOptions), [], 'nothing left staged');
}
