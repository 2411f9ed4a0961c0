import test from 'ava';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { WebHdfsStateBackend } from '../state/webhdfs-state-backend.js';
import { killAndResumeUntilDone, runThroughOutage } from './support/chaos-run.js';
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
  const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256);
  await backend.write('job/checkpoints/1/state/a.bin', bytes);
  t.deepEqual(Buffer.from((await backend.read('job/checkpoints/1/state/a.bin'))!), Buffer.from(bytes), 'binary data round-trips');
  await backend.write('job/checkpoints/1/state/a.json', '{"a":1}');
  await backend.write('job/checkpoints/1/state/a.json', '{"a":2}');
  t.is(Buffer.from((await backend.read('job/checkpoints/1/state/a.json'))!).toString(), '{"a":2}', 'a write replaces the file');
  t.is(await backend.read('job/missing'), undefined);
  t.true(await backend.writeIfAbsent('job/checkpoints/1/MANIFEST.json', 'first'));
  t.false(await backend.writeIfAbsent('job/checkpoints/1/MANIFEST.json', 'second'), 'HDFS rename refuses to replace the published manifest');
  t.is(Buffer.from((await backend.read('job/checkpoints/1/MANIFEST.json'))!).toString(), 'first');
  await backend.write('job/checkpoints/2/state/b.json', '{}');
  await backend.write('job/checkpoints/10/state/c.json', '{}');
  t.deepEqual(await backend.list('job/checkpoints/1'), [
    'job/checkpoints/1/MANIFEST.json', 'job/checkpoints/1/state/a.bin', 'job/checkpoints/1/state/a.json', 'job/checkpoints/10/state/c.json',
  ]);
  t.deepEqual(await backend.list('job/nothing/'), []);
  await backend.deletePrefix('job/checkpoints/1/');
  t.deepEqual(await backend.list('job/'), ['job/checkpoints/10/state/c.json', 'job/checkpoints/2/state/b.json']);
  const leftovers = await readdir(join(server.directory, 'solstice', 'contract', 'job', 'checkpoints', '2', 'state'));
  t.deepEqual(leftovers, ['b.json'], 'no temporary files are left behind');
});

test.serial('a WebHDFS failure names the server, the operation and the path', async (t) => {
  const backend = new WebHdfsStateBackend('webhdfs://127.0.0.1:9/solstice?user=solstice');
  const error = await t.throwsAsync(backend.write('job/a.json', '{}'));
  t.regex(error!.message, /WebHDFS 127\.0\.0\.1:9: create \/solstice\/job\/\.tmp-[0-9a-f-]+ failed: .*ECONNREFUSED/);
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
