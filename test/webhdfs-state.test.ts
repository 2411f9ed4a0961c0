import test from 'ava';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StateBackendError } from '../lib/index.js';
import { WebHdfsStateBackend } from '../state/webhdfs-state-backend.js';
import { killAndResumeUntilDone, runThroughOutage } from './support/chaos-run.js';
import { checkStateBackendContract, checkStateBackendFailures } from './support/state-backend-contract.js';
import { startWebHdfsServer, type WebHdfsServer } from './support/webhdfs-server.js';

let server: WebHdfsServer;

test.before(async () => {
  server = await startWebHdfsServer();
});

test.after.always(async () => {
  await server?.stop();
});

const stateUrl = (path: string) => `${server.url}/solstice/${path}?user=solstice`;

test.serial('the WebHDFS backend writes whole files by rename, publishes only once, lists and deletes by prefix', async (t) => {
  const backend = new WebHdfsStateBackend(stateUrl('contract'));
  await checkStateBackendContract(t, backend, 'HDFS rename refuses to replace the published manifest');
  const leftovers = await readdir(join(server.directory, 'solstice', 'contract', 'job', 'checkpoints', '2', 'state'));
  t.deepEqual(leftovers, ['b.json'], 'no temporary files are left behind');
});

test.serial('a WebHDFS failure names the server, the operation and the path', async (t) => {
  const backend = new WebHdfsStateBackend('webhdfs://127.0.0.1:9/solstice?user=solstice');
  const error = await t.throwsAsync(backend.write('job/a.json', '{}'), { instanceOf: StateBackendError });
  t.regex(error!.message, /WebHDFS 127\.0\.0\.1:9: write \/solstice\/job\/\.tmp-[0-9a-f-]+ failed: .*ECONNREFUSED/);
  t.is(error!.backend, 'webhdfs://127.0.0.1:9/solstice?user=solstice');
  t.is(error!.operation, 'write');
  t.regex(error!.key, /^\/solstice\/job\/\.tmp-[0-9a-f-]+$/);
});

test.serial('on a server that does not answer every operation fails with a StateBackendError naming the operation and the path', async (t) => {
  await checkStateBackendFailures(t, new WebHdfsStateBackend('webhdfs://127.0.0.1:9/solstice?user=solstice'), /ECONNREFUSED/);
});

test.serial('with its state on WebHDFS, a job SIGKILLed and resumed writes every record exactly once', async (t) => {
  await killAndResumeUntilDone(t, { stateBackend: stateUrl('chaos'), kills: 3, killWindowMs: [300, 1000] });
});

test.serial('while WebHDFS is down checkpoints fail with a log line and the job goes on; it completes once it is back', async (t) => {
  await runThroughOutage(t, {
    stateBackend: stateUrl('outage'), stopServer: () => server.pause(), startServer: () => server.resume(),
    failure: /WebHDFS 127\.0\.0\.1:\d+: \w+ \/solstice\/outage\/\S+ failed/,
  });
});
