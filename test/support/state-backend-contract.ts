import type { ExecutionContext } from 'ava';
import { StateBackendError } from '../../lib/index.js';
import { deserializeError, serializeError } from '../../lib/errors/index.js';
import type { StateBackend } from '../../state/state-backend.js';

/**
 * What every state backend promises the checkpoint store: whole writes that
 * replace, binary data intact, a manifest published only once, listing and
 * deleting by key prefix. Leaves `job/checkpoints/2/state/b.json` and
 * `job/checkpoints/10/state/c.json` behind, for backend-specific checks.
 */
export async function checkStateBackendContract(t: ExecutionContext, backend: StateBackend, refusedSecondPublish: string): Promise<void> {
  const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256);
  await backend.write('job/checkpoints/1/state/a.bin', bytes);
  t.deepEqual(Buffer.from((await backend.read('job/checkpoints/1/state/a.bin'))!), Buffer.from(bytes), 'binary data round-trips');
  await backend.write('job/checkpoints/1/state/a.json', '{"a":1}');
  await backend.write('job/checkpoints/1/state/a.json', '{"a":2}');
  t.is(Buffer.from((await backend.read('job/checkpoints/1/state/a.json'))!).toString(), '{"a":2}', 'a write replaces the file');
  t.is(await backend.read('job/missing'), undefined);
  t.true(await backend.writeIfAbsent('job/checkpoints/1/MANIFEST.json', 'first'));
  t.false(await backend.writeIfAbsent('job/checkpoints/1/MANIFEST.json', 'second'), refusedSecondPublish);
  t.is(Buffer.from((await backend.read('job/checkpoints/1/MANIFEST.json'))!).toString(), 'first');
  await backend.write('job/checkpoints/2/state/b.json', '{}');
  await backend.write('job/checkpoints/10/state/c.json', '{}');
  t.deepEqual(await backend.list('job/checkpoints/1'), [
    'job/checkpoints/1/MANIFEST.json', 'job/checkpoints/1/state/a.bin', 'job/checkpoints/1/state/a.json', 'job/checkpoints/10/state/c.json',
  ]);
  t.deepEqual(await backend.list('job/nothing/'), []);
  await backend.deletePrefix('job/checkpoints/1/');
  t.deepEqual(await backend.list('job/'), ['job/checkpoints/10/state/c.json', 'job/checkpoints/2/state/b.json']);
}

/**
 * What a user sees when a backend cannot do what it is asked (its store is
 * unreachable or missing, a file stands where a directory should be): every
 * operation rejects with a StateBackendError that names the backend, the
 * operation and the path of the key, keeps the underlying error as its
 * cause (whose text `cause` matches) and is rebuilt in another process with
 * its fields. A read of a missing key is an absence (undefined), this is not.
 */
export async function checkStateBackendFailures(t: ExecutionContext, backend: StateBackend, cause: RegExp): Promise<void> {
  const attempts: Array<{ call: string; run: () => Promise<unknown>; operation: RegExp; path: RegExp }> = [
    { call: 'write', run: () => backend.write('job/a.json', '{}'), operation: /^write$/, path: /job\/(a\.json|\.tmp-[\w-]+)$/ },
    { call: 'writeIfAbsent', run: () => backend.writeIfAbsent('job/MANIFEST.json', '{}'), operation: /^write$/, path: /job\/(MANIFEST\.json|\.tmp-[\w-]+)$/ },
    { call: 'read', run: () => backend.read('job/a.json'), operation: /^read$/, path: /job\/a\.json$/ },
    { call: 'list', run: () => backend.list('job/'), operation: /^list$/, path: /job\/?$/ },
    // A backend may list a prefix to delete it, and then fails listing it.
    { call: 'deletePrefix', run: () => backend.deletePrefix('job/'), operation: /^(delete|list)$/, path: /job\/?$/ },
  ];
  for (const { call, run, operation, path } of attempts) {
    const error = await t.throwsAsync(run(), { instanceOf: StateBackendError }, `${call} rejects with a StateBackendError`);
    if (!error) continue;
    t.is(error.backend, backend.url, `${call}: the error names the backend`);
    t.regex(error.operation, operation, `${call}: the error names the operation`);
    t.regex(error.key, path, `${call}: the error names the path of the key`);
    t.true(error.message.includes(`${error.operation} ${error.key} failed: `), `${call}: the message names operation and path: ${error.message}`);
    t.true(error.cause instanceof Error, `${call}: the underlying error is kept as the cause`);
    t.regex(error.message, cause, `${call}: the message says what went wrong`);
    const rebuilt = deserializeError(serializeError(error));
    t.true(rebuilt instanceof StateBackendError, `${call}: another process rebuilds the error as a StateBackendError`);
    t.like(rebuilt, { backend: error.backend, operation: error.operation, key: error.key, message: error.message });
  }
}
