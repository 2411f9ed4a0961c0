import type { ExecutionContext } from 'ava';
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
