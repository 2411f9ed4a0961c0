import test from 'ava';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LocalPayloadStore } from '../dataplane/local-payload-store.js';
import { PayloadClient } from '../dataplane/payload-client.js';
import type { PayloadRef } from '../dataplane/payload-ref.js';
import { PayloadUnavailableError, deserializeError, serializeError } from '../lib/errors/index.js';

const HOLDER = fileURLToPath(new URL('fixtures/payload_holder.js', import.meta.url));

/** A process holding `count` payloads of stage `stage`, and their refs. */
async function holder(stage: string, count: number): Promise<{ process: ChildProcess; refs: PayloadRef[] }> {
  const child = fork(HOLDER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.send({ stage, count });
  const [refs] = await once(child, 'message');
  return { process: child, refs: refs as PayloadRef[] };
}

async function killed(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

test('a payload whose holder process was killed cannot be fetched: PayloadUnavailableError names the producing stage, the split and the address', async (t) => {
  const { process: child, refs } = await holder('produce', 2);
  const reader = new LocalPayloadStore();
  t.deepEqual((await reader.take(refs[0]!)).toRows(), [{ n: 0 }, { n: 1 }, { n: 2 }], 'fetched while its holder lives');
  await killed(child);

  const error = await t.throwsAsync(reader.take(refs[1]!), { instanceOf: PayloadUnavailableError });
  t.is(error!.stage, 'produce');
  t.is(error!.splitId, 'produce/source-00001');
  t.is(error!.address, refs[1]!.address!);
  t.regex(error!.message, /^Could not fetch the output of split 'produce\/source-00001' from unix:\S+\.sock: /);
  t.true(error!.cause instanceof Error);
});

test('a fetch waiting on a holder that is then killed fails with PayloadUnavailableError, and keeps its class and fields across processes', async (t) => {
  const { process: child, refs } = await holder('keyed', 1);
  // A stopped holder answers nothing: the request stays in flight until the process is gone.
  child.kill('SIGSTOP');
  const fetching = new LocalPayloadStore().take(refs[0]!);
  await killed(child);

  const error = await t.throwsAsync(fetching, { instanceOf: PayloadUnavailableError });
  t.is(error!.stage, 'keyed');
  t.is(error!.splitId, 'keyed/source-00000');
  const received = deserializeError(serializeError(error)) as PayloadUnavailableError;
  t.true(received instanceof PayloadUnavailableError, 'a worker reports it to its master as itself');
  t.like(received, { stage: 'keyed', splitId: 'keyed/source-00000', address: refs[0]!.address, message: error!.message });
});

test('a fetch from a payload server whose process stopped (the connection stays open) fails as unavailable once it has answered nothing for the set time', async (t) => {
  const { process: child, refs } = await holder('held', 2);
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const client = new PayloadClient();
  // Long enough that a busy machine never keeps a live server silent that long (the suite runs beside other work).
  client.answerWithin(2000);
  t.teardown(() => client.close());

  // A server that answers is not hurried: the first payload arrives.
  t.is((await client.take(refs[0]!)).toTable().getChild('n')!.get(0), 0);

  child.kill('SIGSTOP');
  const error = await t.throwsAsync(client.take(refs[1]!), { instanceOf: PayloadUnavailableError });
  t.regex(error!.message, /Could not fetch the output of split 'held\/source-00001' from unix:.*: the payload server answered nothing for 2\.0 s/);
  t.is(error!.stage, 'held', 'counted against the stage that produced the payload');
});

test('the socket file of a payload server whose process was killed with SIGKILL is removed by the next process that serves payloads', async (t) => {
  const killedHolder = await holder('first', 1);
  const socketOf = (ref: PayloadRef) => ref.address!.slice('unix:'.length);
  const left = socketOf(killedHolder.refs[0]!);
  await killed(killedHolder.process);
  t.true(existsSync(left), 'a process killed with SIGKILL cannot remove its socket file');

  const next = await holder('next', 1);
  t.teardown(() => {
    next.process.kill('SIGKILL');
  });
  t.false(existsSync(left), 'the next process to serve removed it');
  t.true(existsSync(socketOf(next.refs[0]!)), 'a running process keeps its own');
  t.deepEqual((await new LocalPayloadStore().take(next.refs[0]!)).toRows(), [{ n: 0 }, { n: 1 }, { n: 2 }]);
});
