/**
 * What a user catches: every error class extends SolsticeError, is exported
 * from the package and listed in docs/api.md, and comes back as the same
 * class with its fields in another process, whatever that process loaded.
 */
import test from 'ava';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as api from '../lib/index.js';
import {
  ActorExitedError, CheckpointError, ColumnValueError, InputFormatError, OperatorError, RestoreRefusedError, SolsticeError, StateBackendError, WorkerLostError,
} from '../lib/index.js';
import { deserializeError, serializeError } from '../lib/errors/index.js';

const DESERIALIZING_PROCESS = fileURLToPath(new URL('./fixtures/deserializing_process.js', import.meta.url));
const API_DOC = fileURLToPath(new URL('../../docs/api.md', import.meta.url));

/** The error classes the package exports, by name. */
function exportedErrorClasses(): Map<string, typeof SolsticeError> {
  const classes = new Map<string, typeof SolsticeError>();
  for (const [name, value] of Object.entries(api)) {
    if (typeof value === 'function' && value.prototype instanceof Error) classes.set(name, value as typeof SolsticeError);
  }
  return classes;
}

test('every error class the package exports extends SolsticeError and is listed in the Errors table of docs/api.md, and is rebuilt by deserializeError', async (t) => {
  const classes = exportedErrorClasses();
  t.true(classes.size > 30, `the package exports its error classes (found ${[...classes.keys()].join(', ')})`);
  const doc = await readFile(API_DOC, 'utf8');
  const start = doc.indexOf('\n## Errors\n');
  const next = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, next === -1 ? undefined : next);
  t.not(start, -1, 'docs/api.md has an Errors section');
  const listed = new Set([...section.matchAll(/^\| `(\w+)` \|/gm)].map((match) => match[1]!));
  for (const [name, errorClass] of classes) {
    if (name !== 'SolsticeError') t.true(errorClass.prototype instanceof SolsticeError, `${name} extends SolsticeError`);
    if (name !== 'SolsticeError') t.true(listed.has(name), `docs/api.md lists ${name}`);
    const rebuilt = deserializeError({ name, message: 'm' });
    t.true(rebuilt instanceof errorClass, `deserializeError rebuilds ${name}`);
  }
  for (const name of listed) t.true(classes.has(name), `docs/api.md lists ${name}, which the package exports`);
  t.false(/still a plain `SolsticeError`/.test(doc), 'the docs no longer say some refusals are plain SolsticeErrors');
});

test('a process that loaded only the deserializing module rebuilds each error as its class, with its fields and cause', async (t) => {
  const errors = [
    new CheckpointError("Checkpoint 4: stage 'totals' could not save its part", { cause: new OperatorError('totals', 'totals/3', new Error('disk full')) }),
    new WorkerLostError('records', 1, 'records/7', 'was killed by SIGKILL'),
    new InputFormatError({ file: '/data/orders.jsonl', line: 301, record: '{"id": 3,', reason: 'malformed JSON' }),
    new RestoreRefusedError('totals', 2, 3),
    new ActorExitedError({ pid: 4242, code: 1, signal: null }),
    new StateBackendError('file:///state', 'write', '/state/job/a.json', 'Local directory /state: write /state/job/a.json failed: ENOSPC: no space left on device', {
      cause: Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }),
    }),
    new ColumnValueError('amount', 2, "not a number, which sum 'total' needs", { amount: '12,50' }),
  ];
  const child = fork(DESERIALIZING_PROCESS, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [ready] = (await once(child, 'message')) as [string];
  t.is(ready, 'ready');
  const answer = once(child, 'message');
  child.send(errors.map(serializeError));
  const [rebuilt] = (await answer) as [Array<{ chain: string[]; message: string; details: Record<string, unknown> | null; cause: string | null }>];
  await once(child, 'exit');

  t.deepEqual(rebuilt[0], {
    chain: ['CheckpointError', 'SolsticeError', 'Error'],
    message: "Checkpoint 4: stage 'totals' could not save its part",
    details: {},
    cause: 'OperatorError',
  });
  t.deepEqual(rebuilt[1], {
    chain: ['WorkerLostError', 'SolsticeError', 'Error'],
    message: "Worker 1 of stage 'records' was killed by SIGKILL while processing split 'records/7'",
    details: { stage: 'records', workerIndex: 1, splitId: 'records/7', reason: 'was killed by SIGKILL', starting: false },
    cause: null,
  });
  t.deepEqual(rebuilt[2], {
    chain: ['InputFormatError', 'SolsticeError', 'Error'],
    message: '/data/orders.jsonl (line 301): malformed JSON',
    details: { file: '/data/orders.jsonl', line: 301, record: '{"id": 3,', reason: 'malformed JSON' },
    cause: null,
  });
  t.deepEqual(rebuilt[3], {
    chain: ['RestoreRefusedError', 'SolsticeError', 'Error'],
    message: "Stage 'totals' was checkpointed with 2 workers and now has 3; restoring its state needs the same parallelism",
    details: { stage: 'totals', checkpointedParallelism: 2, currentParallelism: 3 },
    cause: null,
  });
  t.deepEqual(rebuilt[4], {
    chain: ['ActorExitedError', 'SolsticeError', 'Error'],
    message: 'Actor (pid 4242) exited with code 1 before the actor was created',
    details: { exit: { pid: 4242, code: 1, signal: null } },
    cause: null,
  });
  t.deepEqual(rebuilt[5], {
    chain: ['StateBackendError', 'SolsticeError', 'Error'],
    message: 'Local directory /state: write /state/job/a.json failed: ENOSPC: no space left on device',
    details: { backend: 'file:///state', operation: 'write', key: '/state/job/a.json' },
    cause: 'Error',
  });
  t.deepEqual(rebuilt[6], {
    chain: ['ColumnValueError', 'SolsticeError', 'Error'],
    message: `Row 2 ({"amount":"12,50"}): column 'amount' holds "12,50", not a number, which sum 'total' needs`,
    details: { column: 'amount', row: 2, reason: "not a number, which sum 'total' needs" },
    cause: null,
  });
});
