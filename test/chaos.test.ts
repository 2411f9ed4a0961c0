import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeChaosInput } from './support/chaos-data.js';
import { runCli } from './support/cli.js';
import { CLI, readJsonLinesDir, tempDir } from './support/files.js';

const CHAOS_WORKFLOW = fileURLToPath(new URL('./fixtures/chaos_workflow.js', import.meta.url));

interface Attempt {
  killed: boolean;
  code: number | null;
  stderr: string;
}

/** Starts the job as a child process and, if `killAfterMs` is set, SIGKILLs it then (unless it ended first). */
function attempt(args: string[], cwd: string, killAfterMs?: number): Promise<Attempt> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let killed = false;
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => {
      killed = child.kill('SIGKILL');
    }, killAfterMs);
    child.on('exit', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ killed: killed && code === null, code, stderr });
    });
  });
}

async function hasCheckpoint(cwd: string, jobId: string): Promise<boolean> {
  const listing = await runCli(['checkpoints', 'list', '--job-id', jobId], { cwd });
  return /^\d+\s/m.test(listing.stdout);
}

test('SIGKILLed at random moments and resumed with --restore latest, the job writes every record exactly once', async (t) => {
  const cwd = await tempDir('solstice-chaos-');
  const { records, totals } = await writeChaosInput(join(cwd, 'in'), 3, 30_000);
  const output = join(cwd, 'out');
  const jobId = 'chaos';
  const args = ['run', '--workflow', CHAOS_WORKFLOW, '--job-id', jobId, '--input', join(cwd, 'in', '*.jsonl'), '--output', output,
    '--delay-ms', '25', '--interval-secs', '0.25', '--progress-interval', '0'];

  // Kill at random moments (from start-up to well into the run) until it has been killed 5 times, then let it finish.
  let kills = 0;
  let finished = false;
  const log: string[] = [];
  for (let round = 0; round < 20 && !finished; round++) {
    const restore = (await hasCheckpoint(cwd, jobId)) ? ['--restore', 'latest'] : [];
    const killAfterMs = kills < 5 ? 300 + Math.floor(Math.random() * 1200) : undefined;
    const result = await attempt([...args, ...restore], cwd, killAfterMs);
    log.push(`round ${round}: ${restore.join(' ') || 'fresh'}, kill after ${killAfterMs ?? '-'} ms: ${result.killed ? 'killed' : `exit ${result.code}`}`);
    if (result.killed) {
      kills++;
      continue;
    }
    t.is(result.code, 0, `${log.join('\n')}\n${result.stderr}`);
    finished = true;
  }
  t.log(log.join('\n'));
  t.true(finished, 'the job finished');
  t.true(kills >= 3, `the job was killed ${kills} times`);

  const written = await readJsonLinesDir(join(output, 'records'));
  const ids = written.map((r) => r.id as number).sort((a, b) => a - b);
  t.is(ids.length, records.length, 'no record missing or duplicated');
  t.deepEqual(ids, records.map((r) => r.id));
  const byId = new Map(records.map((r) => [r.id, r]));
  t.true(written.every((r) => r.user === byId.get(r.id as number)!.user && r.amount === byId.get(r.id as number)!.amount));

  const counted = await readJsonLinesDir(join(output, 'totals'));
  t.is(counted.length, totals.size);
  for (const row of counted) t.deepEqual({ n: row.n, amount: row.amount, top: row.top }, totals.get(row._key as string), `totals of ${row._key}`);

  t.false(existsSync(join(output, 'records', '_staging')), 'no staging leftovers');
  t.deepEqual((await readdir(output)).sort(), ['records', 'totals']);
});
