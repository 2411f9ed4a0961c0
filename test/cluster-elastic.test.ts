/**
 * Elastic stages on a cluster: a job that needs more workers than the hosts
 * that answer have slots runs with the workers sharing slots, and once a host
 * of cluster.json answers again, an elastic stage that is the bottleneck
 * grows onto its free slot; a keyed aggregation grows onto one at a
 * checkpoint, its key groups moving with their state.
 */
import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCli, untilLogged } from './support/cli.js';
import { readJsonLinesDir, tempDir, writeIdFiles } from './support/files.js';
import { startAgent, stopAgents, writeSecret } from './support/host-agents.js';
import { freePort } from './support/ports.js';

const WORKFLOW = fileURLToPath(new URL('../bench/autoscale-workflow.js', import.meta.url));
const TOTALS_WORKFLOW = fileURLToPath(new URL('fixtures/elastic_totals_workflow.js', import.meta.url));
// Addresses of their own (to 127.0.0.20): the other cluster tests use 127.0.0.2 to 127.0.0.14.
const [A, B, C] = ['127.0.0.15', '127.0.0.16', '127.0.0.17'];

test('a job short of slots shares them, then grows its bottleneck stage onto a host that answers again', async (t) => {
  const dir = await tempDir('solstice-cluster-elastic-');
  const files = 10;
  const rows = 2000;
  await writeIdFiles(dir, files, rows);
  const secretFile = await writeSecret(dir);
  const agents = await Promise.all([A, B].map((host) => startAgent(host, secretFile, dir)));
  t.teardown(() => stopAgents(agents));
  const late = { host: C, port: await freePort() };
  const clusterFile = join(dir, 'cluster.json');
  await writeFile(clusterFile, JSON.stringify({
    secretFile, hosts: [...agents.map(({ host, port }) => ({ host, port, slots: 1 })), { ...late, slots: 1 }],
  }));

  // source+pace, work [1, 3] and sink: 3 workers on the 2 slots that answer.
  const job = startCli(['start', '--hosts', clusterFile, '--workflow', WORKFLOW, '--job-id', 'cluster-elastic', '--input', join(dir, 'in', '*.jsonl'),
    '--output', join(dir, 'out'), '--parallelism', '1-3', '--cost-us', '400', '--progress-interval', '0', '--log-level', 'info'], dir);
  t.true(await untilLogged(job, /"msg":"the job needs more worker slots than the hosts that answer have; their workers share slots, so it runs slower"/), job.stderr());
  t.true(await untilLogged(job, /"msg":"planned source splits"/), job.stderr());
  const third = await startAgent(late.host, secretFile, dir, late.port);
  t.teardown(() => stopAgents([third]));
  t.true(await untilLogged(job, /"msg":"host agent answers again; its slots take workers"/), job.stderr());
  t.true(await untilLogged(job, /"stage":"work"[^\n]*"from":1,"to":2[^\n]*"msg":"scaling"/), job.stderr());
  t.is(await job.exited, 0, job.stderr());
  t.regex(third.output(), /"msg":"actor created"/, 'the host that came back runs a worker');
  const ids = (await readJsonLinesDir(join(dir, 'out'))).map((row) => row.id as number).sort((a, b) => a - b);
  t.deepEqual(ids, Array.from({ length: files * rows }, (_, id) => id));
});

test('a keyed aggregation on a cluster grows onto a free slot at a checkpoint, its key groups moving with their state: exact totals', async (t) => {
  const dir = await tempDir('solstice-cluster-elastic-totals-');
  const files = 10;
  const rows = 2000;
  const keys = 40;
  await writeIdFiles(dir, files, rows);
  const secretFile = await writeSecret(dir);
  const agents = await Promise.all(['127.0.0.18', '127.0.0.19', '127.0.0.20'].map((host) => startAgent(host, secretFile, dir)));
  t.teardown(() => stopAgents(agents));
  const clusterFile = join(dir, 'cluster.json');
  await writeFile(clusterFile, JSON.stringify({ secretFile, hosts: agents.map(({ host, port }) => ({ host, port, slots: 2 })) }));
  const job = startCli(['start', '--hosts', clusterFile, '--workflow', TOTALS_WORKFLOW, '--job-id', 'cluster-elastic-totals', '--input', join(dir, 'in', '*.jsonl'),
    '--output', join(dir, 'out'), '--burst', '24', '--pace-ms', '300', '--keys', String(keys), '--progress-interval', '0', '--log-level', 'info'], dir);
  t.is(await job.exited, 0, job.stderr());
  t.regex(job.stderr(), /"stage":"totals"[^\n]*"from":1,"to":2[^\n]*"msg":"scaling"/);
  t.regex(job.stderr(), /"stage":"totals"[^\n]*"msg":"key groups moved"/);
  const rowsOut = await readJsonLinesDir(join(dir, 'out'));
  t.is(rowsOut.length, keys, 'one row per key');
  for (const row of rowsOut) {
    const key = Number(row._key);
    const ids = Array.from({ length: files * rows }, (_, id) => id).filter((id) => id % keys === key);
    t.deepEqual({ n: row.n, sum: row.sum }, { n: ids.length, sum: ids.reduce((a, b) => a + b, 0) });
  }
});
