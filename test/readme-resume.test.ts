/**
 * The README's "Resuming a killed job", run as written: simple_etl killed
 * with SIGKILL half-way has a checkpoint to show, and `--restore latest`
 * ends with every order over the threshold written once. `--restore latest`
 * with nothing to restore says how to start over.
 */
import test from 'ava';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { sampleOrders } from '../workflows/simple_etl/sample-orders.js';
import { runCli, startCli, untilBeforeExit } from './support/cli.js';
import { publishedCheckpointIds, tempDir } from './support/files.js';

const ROWS = 5_000_000;

/** What simple_etl must write for the generated sample, from the generator's formula: count and sums over the kept orders. */
function expectedDigest(rows: number): { count: number; ids: number; cents: number } {
  let count = 0;
  let ids = 0;
  let cents = 0;
  for (const order of sampleOrders(rows)) {
    const total = Math.round(order.price * order.qty * 100) / 100;
    if (total <= 100) continue;
    count++;
    ids += order.order_id;
    cents += Math.round(total * 100);
  }
  return { count, ids, cents };
}

test('the README resume example: killed half-way, a checkpoint is listed and --restore latest writes every order once', async (t) => {
  const cwd = await tempDir('solstice-readme-resume-');
  const run = ['run', '--workflow', 'simple_etl', '--job-id', 'big', '--rows', String(ROWS)];
  const cli = startCli(run, cwd);
  const checkpoints = join(cwd, '.solstice', 'big', 'checkpoints');
  await untilBeforeExit(cli, 'its first completed checkpoint', () => publishedCheckpointIds(checkpoints).length > 0);
  cli.child.kill('SIGKILL');
  t.is(await cli.exited, null, 'killed, not ended');

  const listing = await runCli(['checkpoints', 'list', '--job-id', 'big'], { cwd });
  t.is(listing.code, 0, listing.stderr);
  t.regex(listing.stdout, /^\d+\s+\S+\s+no$/m, `a completed checkpoint is listed:\n${listing.stdout}`);

  const resumed = await runCli([...run, '--restore', 'latest'], { cwd, timeoutMs: 600_000 });
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stdout, /^resumed from checkpoint \d+$/m);

  // Read back by hyparquet, one file at a time; no order may be there twice.
  const output = join(cwd, 'out', 'big');
  const seen = new Set<number>();
  let twice = 0;
  let ids = 0;
  let cents = 0;
  for (const name of (await readdir(output)).filter((n) => n.endsWith('.parquet'))) {
    for (const row of await parquetReadObjects({ file: await asyncBufferFromFile(join(output, name)), columns: ['order_id', 'total'] })) {
      const id = row.order_id as number;
      if (seen.has(id)) twice++;
      seen.add(id);
      ids += id;
      cents += Math.round((row.total as number) * 100);
    }
  }
  t.is(twice, 0, 'no order written twice');
  t.deepEqual({ count: seen.size, ids, cents }, expectedDigest(ROWS));
});

test('--restore latest with no completed checkpoint fails saying how to start over, and --restore none does', async (t) => {
  const cwd = await tempDir('solstice-restore-none-');
  const run = ['run', '--workflow', 'simple_etl', '--job-id', 'fresh', '--rows', '2000'];
  const refused = await runCli([...run, '--restore', 'latest'], { cwd });
  t.is(refused.code, 1);
  t.regex(refused.stderr, /CheckpointNotFoundError: Job 'fresh' has no completed checkpoint in \S+ to restore/);
  t.regex(refused.stderr, /To start over, run it with --restore none/);
  const fresh = await runCli([...run, '--restore', 'none'], { cwd });
  t.is(fresh.code, 0, fresh.stderr);
  t.regex(fresh.stdout, /job fresh finished/);
});
