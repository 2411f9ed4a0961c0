import test from 'ava';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StateBackendError, StateKeyError } from '../lib/index.js';
import { LocalDirectoryBackend } from '../state/local-directory-backend.js';
import { openStateBackend } from '../state/open-state-backend.js';
import { checkStateBackendContract, checkStateBackendFailures } from './support/state-backend-contract.js';
import { tempDir } from './support/files.js';

const PUBLISHER = fileURLToPath(new URL('fixtures/publish_once.js', import.meta.url));

/** Every file under `dir`, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

test('the local directory backend writes whole files, publishes only once, lists and deletes by prefix', async (t) => {
  const root = await tempDir('solstice-local-state-');
  const backend = openStateBackend(root);
  t.true(backend instanceof LocalDirectoryBackend, 'a path opens the local directory backend');
  await checkStateBackendContract(t, backend, 'the link onto an existing key fails');
  t.deepEqual(await filesUnder(root), ['job/checkpoints/10/state/c.json', 'job/checkpoints/2/state/b.json'], 'no temporary files are left behind');
  const escape = await t.throwsAsync(backend.write('job/../../escape.json', '{}'), { instanceOf: StateKeyError, message: /may not contain '\.\.'/ });
  t.is(escape!.key, 'job/../../escape.json');
});

test('many promises publishing the same manifest at once: exactly one wins and its bytes are what is read', async (t) => {
  const root = await tempDir('solstice-local-state-');
  const backend = new LocalDirectoryBackend(root);
  const writers = Array.from({ length: 32 }, (_, i) => `{"writer":${i},"pad":"${'x'.repeat(50_000)}"}`);
  const won = await Promise.all(writers.map((data) => backend.writeIfAbsent('job/checkpoints/7/MANIFEST.json', data)));
  t.is(won.filter(Boolean).length, 1, `winners: ${won.map((w, i) => (w ? i : '')).filter(String).join(', ')}`);
  t.is(Buffer.from((await backend.read('job/checkpoints/7/MANIFEST.json'))!).toString(), writers[won.indexOf(true)]);
  t.deepEqual(await filesUnder(root), ['job/checkpoints/7/MANIFEST.json'], 'no temporary files are left behind');
});

test('processes publishing the same manifest at once: exactly one wins and its bytes are what is read', async (t) => {
  const root = await tempDir('solstice-local-state-');
  const publishers: ChildProcess[] = Array.from({ length: 8 }, () => fork(PUBLISHER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  try {
    await Promise.all(publishers.map((p) => once(p, 'message')));
    const writers = publishers.map((p) => `{"pid":${p.pid},"pad":"${'y'.repeat(200_000)}"}`);
    const answers = publishers.map((p) => once(p, 'message').then(([answer]) => (answer as { won: boolean }).won));
    publishers.forEach((p, i) => p.send({ root, key: 'job/checkpoints/3/MANIFEST.json', data: writers[i] }));
    const won = await Promise.all(answers);
    t.is(won.filter(Boolean).length, 1, `winners: ${won.map((w, i) => (w ? publishers[i]!.pid : '')).filter(String).join(', ')}`);
    t.is(Buffer.from((await new LocalDirectoryBackend(root).read('job/checkpoints/3/MANIFEST.json'))!).toString(), writers[won.indexOf(true)]);
    t.deepEqual(await filesUnder(root), ['job/checkpoints/3/MANIFEST.json'], 'no temporary files are left behind');
  } finally {
    for (const p of publishers) if (p.exitCode === null) p.kill();
  }
});

test('where a file stands in place of the state directory, every operation fails with a StateBackendError naming the operation and the path', async (t) => {
  const root = join(await tempDir('solstice-local-state-'), 'state');
  await writeFile(root, 'not a directory');
  await checkStateBackendFailures(t, new LocalDirectoryBackend(root), /ENOTDIR/);
});

test('a key under a path that is a file fails with a StateBackendError that names the path and keeps the file system error', async (t) => {
  const root = await tempDir('solstice-local-state-');
  await writeFile(join(root, 'job'), 'not a directory');
  const backend = new LocalDirectoryBackend(root);
  const error = await t.throwsAsync(backend.writeIfAbsent('job/checkpoints/1/MANIFEST.json', '{}'), { instanceOf: StateBackendError });
  t.is(error!.message, `Local directory ${root}: write ${root}/job/checkpoints/1/MANIFEST.json failed: ${(error!.cause as Error).message}`);
  t.regex((error!.cause as NodeJS.ErrnoException).code!, /ENOTDIR|EEXIST/);
  t.is(await backend.read('job/checkpoints/1/MANIFEST.json').catch((e: unknown) => e instanceof StateBackendError && e.operation), 'read', 'a read under the file is a failure, not an absent key');
  t.is(await backend.read('missing.json'), undefined, 'a missing key is still an absence');
});
