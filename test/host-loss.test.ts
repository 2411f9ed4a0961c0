import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeChaosInput } from './support/chaos-data.js';
import { CHAOS_WORKFLOW } from './support/chaos-run.js';
import { checkWholeChaosOutput } from './support/chaos-expected.js';
import { startCli, untilLogged } from './support/cli.js';
import { clusterIn } from './support/host-agents.js';
import { tempDir } from './support/files.js';
import { childPids } from './support/processes.js';

function signalIfAlive(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

test('a host that vanishes without closing its connections is found by heartbeats; the job restarts on the other hosts and writes every record once', async (t) => {
  const dir = await tempDir('solstice-host-loss-');
  // Addresses of their own: the cluster tests use 127.0.0.2 to 127.0.0.11.
  const { agents, hosts } = await clusterIn(t, dir, ['127.0.0.12', '127.0.0.13', '127.0.0.14'], 5);
  const { records, totals } = await writeChaosInput(join(dir, 'in'), 3, 30_000);
  const output = join(dir, 'out');
  // Every worker is pinged on the job's timeout: 10 s, so that a healthy one stalled by a loaded machine is not taken for lost.
  const job = startCli(['start', '--hosts', hosts, '--workflow', CHAOS_WORKFLOW, '--job-id', 'host-loss', '--input', join(dir, 'in', '*.jsonl'),
    '--output', output, '--delay-ms', '25', '--interval-secs', '0.25', '--progress-interval', '0.1', '--heartbeat-timeout-secs', '10',
    '--log-level', 'info'], dir);
  t.true(await untilLogged(job, /"msg":"checkpoint published"/), job.stderr());

  // The host vanishes: its agent and every actor process on it stop, so whatever is sent to them goes
  // unanswered, and no connection closes.
  const victim = agents[1]!;
  const stopped = [victim.process.pid!, ...childPids(victim.process.pid!)];
  t.true(stopped.length > 1, 'the victim host ran workers');
  // Teardowns run last first: these processes are killed before the agents are stopped.
  t.teardown(() => {
    for (const pid of stopped) signalIfAlive(pid, 'SIGKILL');
    for (const pid of stopped) signalIfAlive(pid, 'SIGCONT');
  });
  for (const pid of stopped) process.kill(pid, 'SIGSTOP');

  t.is(await job.exited, 0, job.stderr());
  const where = `on ${victim.host}:${victim.port}`;
  const silent = new RegExp(`\\(pid (\\d+) ${where.replace(/\./g, '\\.')}\\) answered no heartbeat for (\\d+\\.\\d) s and was killed`).exec(job.stderr());
  t.truthy(silent, job.stderr());
  t.true(stopped.includes(Number(silent?.[1])), 'a stopped actor was taken as lost');
  // The timeout is a lower bound; when a loaded machine notices is not the test's business.
  t.true(Number(silent?.[2]) >= 10);
  t.regex(job.stderr(), new RegExp(`"host":"${victim.host}:${victim.port}".*host agent does not answer`));
  t.regex(job.stdout(), /restarted \d+ time\(s\)/);
  t.regex(job.stderr(), /"restore":\d+,[^\n]*"msg":"worker lost; restarting the job from its last completed checkpoint"/, 'resumed from a checkpoint');
  await checkWholeChaosOutput(t, output, records, totals);
  // The host stayed vanished to the end (no process of it ended, which would have closed its connections).
  for (const pid of stopped) t.is(procState(pid), 'T', `pid ${pid} is still stopped`);
});

/** A process's state letter from /proc (T: stopped). */
function procState(pid: number): string {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').charAt(0);
}
